//! Derived schemas remembered per input schema, so records that share a schema also share the
//! transformed one (and converters downstream can cache by pointer).

use std::sync::Arc;

use sluice_api::SchemaRef;

/// Derived schemas kept per input schema; Kafka Connect keeps 16 as well.
const CACHE_SIZE: usize = 16;

/// The last few (input, derived) schema pairs, most recently used last.
#[derive(Debug, Default)]
pub struct SchemaCache {
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    /// The derived schema for `input`, built by `derive` on a miss.
    pub fn get_or_try<E>(
        &mut self,
        input: &SchemaRef,
        derive: impl FnOnce(&SchemaRef) -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E> {
        let hit = self
            .entries
            .iter()
            .position(|(known, _)| Arc::ptr_eq(known, input))
            .or_else(|| self.entries.iter().position(|(known, _)| known == input));
        if let Some(index) = hit {
            let entry = self.entries.remove(index);
            let derived = entry.1.clone();
            self.entries.push(entry);
            return Ok(derived);
        }
        let derived = derive(input)?;
        if self.entries.len() == CACHE_SIZE {
            self.entries.remove(0);
        }
        self.entries.push((input.clone(), derived.clone()));
        Ok(derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_api::Schema;

    #[test]
    fn derives_once_per_schema() {
        let mut cache = SchemaCache::default();
        let input: SchemaRef = Arc::new(Schema::string());
        let mut calls = 0;
        for _ in 0..3 {
            let out = cache
                .get_or_try::<()>(&input, |_| {
                    calls += 1;
                    Ok(Arc::new(Schema::int32()))
                })
                .unwrap();
            assert_eq!(*out, Schema::int32());
        }
        assert_eq!(calls, 1);
    }
}
