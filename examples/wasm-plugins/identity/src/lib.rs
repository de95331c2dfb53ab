//! Keeps every record unchanged. Start here: it is the whole shape of a plugin. It is also the
//! benchmark baseline, what a WASM transform costs before it does any work of its own.
//!
//! Settings: none.

use sluice_transform_sdk::{Config, Outcome, RecordRef, Transform, export_transform};

pub struct Identity;

impl Transform for Identity {
    fn init(_config: &Config) -> Result<Self, String> {
        Ok(Identity)
    }

    fn transform<'a>(&mut self, _record: RecordRef<'a>) -> Outcome<'a> {
        Outcome::Keep
    }
}

export_transform!(Identity);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::Identity;

    #[test]
    fn keeps_everything() {
        let mut plugin: Identity = testing::init(&[]).unwrap();
        let records = [
            Record::new("a")
                .with_key("k")
                .with_value("v")
                .with_header("h", "1"),
            Record::new("b"),
        ];
        assert_eq!(
            testing::run(&mut plugin, &records),
            vec![Outcome::Keep, Outcome::Keep]
        );
    }
}
