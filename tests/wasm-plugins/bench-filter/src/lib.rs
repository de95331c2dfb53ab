//! Drops records that carry a header named `drop` (whatever its value) and keeps the others: a
//! filter that reads only headers, for benchmarking the host's per-batch cost with a plugin that
//! does real but minimal work.
//!
//! Settings: none.

use sluice_transform_sdk::{Config, Outcome, RecordRef, Transform, export_transform};

pub struct BenchFilter;

impl Transform for BenchFilter {
    fn init(_config: &Config) -> Result<Self, String> {
        Ok(BenchFilter)
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        if record.headers().any(|(name, _)| name == "drop") {
            Outcome::Drop
        } else {
            Outcome::Keep
        }
    }
}

export_transform!(BenchFilter);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::BenchFilter;

    #[test]
    fn drops_records_with_a_drop_header() {
        let mut plugin: BenchFilter = testing::init(&[]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                Record::new("t").with_header("drop", "1"),
                Record::new("t").with_header("keep", "1"),
                Record::new("t").with_header("drop", None::<&[u8]>),
                Record::new("t"),
            ],
        );
        assert_eq!(
            out,
            vec![Outcome::Drop, Outcome::Keep, Outcome::Drop, Outcome::Keep]
        );
    }
}
