use super::*;
use crate::sink::projection::ProjectionType;
use mongodb::bson::{doc, spec::BinarySubtype};

fn record() -> Record {
    let mut r = Record::new("orders");
    r.partition = Some(2);
    r.kafka_offset = Some(41);
    r
}

fn sample() -> SinkDocument {
    SinkDocument::new(
        Some(doc! {"_id": "k1", "id": 7, "region": "eu"}),
        Some(doc! {"_id": 99, "name": "a", "last": "b", "n": 1}),
    )
}

fn generate(strategy: IdStrategy, doc: &SinkDocument) -> Result<Bson, String> {
    strategy.generate(doc, &record())
}

#[test]
fn every_official_class_name_resolves() {
    for (kind, name) in ALL {
        let full = format!("{PACKAGE}.{name}");
        assert_eq!(IdStrategyKind::from_class(&full), Some(kind));
        assert_eq!(IdStrategyKind::from_class(name), Some(kind));
        assert_eq!(kind.class_name(), name);
    }
    assert_eq!(
        IdStrategyKind::from_class("com.other.BsonOidStrategy"),
        None
    );
}

#[test]
fn generated_ids() {
    let d = sample();
    assert!(matches!(
        generate(IdStrategy::of(IdStrategyKind::BsonOid), &d),
        Ok(Bson::ObjectId(_))
    ));
    match generate(IdStrategy::of(IdStrategyKind::Uuid), &d) {
        Ok(Bson::String(s)) => assert_eq!(s.len(), 36),
        other => panic!("{other:?}"),
    }
    let binary = IdStrategy {
        uuid_binary: true,
        ..IdStrategy::of(IdStrategyKind::Uuid)
    };
    match generate(binary, &d) {
        Ok(Bson::Binary(b)) => assert_eq!(b.subtype, BinarySubtype::Uuid),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        generate(IdStrategy::of(IdStrategyKind::KafkaMetaData), &d),
        Ok(Bson::String("orders-2-41".into()))
    );
}

#[test]
fn ids_from_the_key() {
    let d = sample();
    assert_eq!(
        generate(IdStrategy::of(IdStrategyKind::FullKey), &d),
        Ok(Bson::Document(doc! {"_id": "k1", "id": 7, "region": "eu"}))
    );
    assert_eq!(
        generate(IdStrategy::of(IdStrategyKind::ProvidedInKey), &d),
        Ok(Bson::String("k1".into()))
    );
    let partial = IdStrategy {
        partial_key: Projection::new(
            ProjectionType::AllowList,
            vec!["id".into(), "region".into()],
        ),
        ..IdStrategy::of(IdStrategyKind::PartialKey)
    };
    assert_eq!(
        generate(partial, &d),
        Ok(Bson::Document(doc! {"id": 7, "region": "eu"}))
    );
    let keyless = SinkDocument::new(None, Some(doc! {"a": 1}));
    let err = generate(IdStrategy::of(IdStrategyKind::FullKey), &keyless).unwrap_err();
    assert!(
        err.contains("FullKeyStrategy needs a key document"),
        "{err}"
    );
    let no_id = SinkDocument::new(Some(doc! {"id": 1}), None);
    let err = generate(IdStrategy::of(IdStrategyKind::ProvidedInKey), &no_id).unwrap_err();
    assert!(err.contains("no _id field"), "{err}");
}

#[test]
fn ids_from_the_value() {
    let d = sample();
    assert_eq!(
        generate(IdStrategy::of(IdStrategyKind::ProvidedInValue), &d),
        Ok(Bson::Int32(99))
    );
    let partial = IdStrategy {
        partial_value: Projection::new(ProjectionType::BlockList, vec!["_id".into(), "n".into()]),
        ..IdStrategy::of(IdStrategyKind::PartialValue)
    };
    assert_eq!(
        generate(partial, &d),
        Ok(Bson::Document(doc! {"name": "a", "last": "b"}))
    );
    let null_id = SinkDocument::new(None, Some(doc! {"_id": Bson::Null}));
    assert!(generate(IdStrategy::of(IdStrategyKind::ProvidedInValue), &null_id).is_err());
}
