//! A plugin that misbehaves on demand, for testing how the host contains a bad plugin. The record
//! value chooses what happens:
//!
//! | value   | behaviour                                                     |
//! |---------|---------------------------------------------------------------|
//! | `loop`  | spins forever (the host's deadline must interrupt it)         |
//! | `oom`   | allocates 1 MiB blocks until memory runs out                  |
//! | `panic` | panics with "poison record"                                   |
//! | `trap`  | executes `unreachable` (a trap without a panic message)       |
//! | `fail`  | fails the record with "refused"                               |
//! | `drop`  | drops the record                                              |
//! | other   | keeps the record                                              |
//!
//! Every record, before any of that: counter `misbehave.seen` +1 and log line `seen <value>` at
//! info level, so tests can see which records reached the plugin.
//!
//! Settings:
//! - `fail.init` (default `false`): `true` makes `init` fail with "fail.init is set: refusing to
//!   start".
//! - `tag` (optional): when set, a kept record is replaced by itself with header `tag` = this
//!   value, so a test can tell which build of the plugin handled a record (hot reload).

use std::hint::black_box;

use sluice_transform_sdk::{
    Config, Level, Outcome, Record, RecordRef, Transform, counter_add, export_transform, log,
};

pub struct Misbehave {
    tag: Option<String>,
}

impl Transform for Misbehave {
    fn init(config: &Config) -> Result<Self, String> {
        if config.parse("fail.init", false)? {
            return Err("fail.init is set: refusing to start".into());
        }
        Ok(Misbehave {
            tag: config.get("tag").map(str::to_owned),
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        counter_add("misbehave.seen", 1);
        let shown = match record.value {
            Some(v) => String::from_utf8_lossy(v),
            None => "<null>".into(),
        };
        log(Level::Info, &format!("seen {shown}"));
        match record.value.unwrap_or_default() {
            b"loop" => spin(),
            b"oom" => exhaust_memory(),
            b"panic" => panic!("poison record"),
            b"trap" => trap(),
            b"fail" => Outcome::Fail("refused".into()),
            b"drop" => Outcome::Drop,
            _ => match &self.tag {
                Some(tag) => Outcome::Replace(Record::from(record).with_header("tag", tag.clone())),
                None => Outcome::Keep,
            },
        }
    }
}

/// Never returns. `black_box` keeps the optimiser from proving the loop does nothing, so the
/// plugin really burns CPU until the host interrupts it.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Never returns: keeps 1 MiB blocks alive and writes to every page of each, so the memory is
/// really used, until an allocation fails (which aborts).
fn exhaust_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 1 << 20];
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        hoard.push(black_box(block));
    }
}

#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

/// Native builds have no `unreachable` instruction; a panic stands in for it in unit tests.
#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    panic!("trap")
}

export_transform!(Misbehave);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Level, Outcome, Record, testing};

    use super::Misbehave;

    #[test]
    fn well_behaved_values_and_what_they_record() {
        let mut plugin: Misbehave = testing::init(&[]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                Record::new("t").with_value("fail"),
                Record::new("t").with_value("drop"),
                Record::new("t").with_value("hello"),
                Record::new("t"),
            ],
        );
        assert_eq!(
            out,
            vec![
                Outcome::Fail("refused".into()),
                Outcome::Drop,
                Outcome::Keep,
                Outcome::Keep
            ]
        );
        assert_eq!(testing::counter("misbehave.seen"), 4);
        let logs: Vec<_> = testing::logs().into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            logs,
            ["seen fail", "seen drop", "seen hello", "seen <null>"]
        );
        assert!(
            testing::logs()
                .iter()
                .all(|(level, _)| *level == Level::Info)
        );
    }

    #[test]
    fn tag_replaces_kept_records_only() {
        let mut plugin: Misbehave = testing::init(&[("tag", "v2")]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                Record::new("t").with_value("x").with_header("tag", "old"),
                Record::new("t").with_value("drop"),
            ],
        );
        assert_eq!(
            out,
            vec![
                Outcome::Replace(Record::new("t").with_value("x").with_header("tag", "v2")),
                Outcome::Drop,
            ]
        );
    }

    #[test]
    fn fail_init() {
        assert_eq!(
            testing::init::<Misbehave>(&[("fail.init", "true")]).err(),
            Some("fail.init is set: refusing to start".into())
        );
        assert!(testing::init::<Misbehave>(&[("fail.init", "false")]).is_ok());
        assert!(testing::init::<Misbehave>(&[("fail.init", "maybe")]).is_err());
    }

    #[test]
    #[should_panic(expected = "poison record")]
    fn panic_value_panics() {
        let mut plugin: Misbehave = testing::init(&[]).unwrap();
        testing::run_one(&mut plugin, Record::new("t").with_value("panic"));
    }

    #[test]
    #[should_panic(expected = "trap")]
    fn trap_value_panics_natively() {
        let mut plugin: Misbehave = testing::init(&[]).unwrap();
        testing::run_one(&mut plugin, Record::new("t").with_value("trap"));
    }
}
