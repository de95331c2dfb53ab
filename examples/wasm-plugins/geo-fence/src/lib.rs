//! A geo-fence for vehicle telemetry: location events outside a latitude/longitude box are
//! dropped, so only vehicles inside the area go on.
//!
//! Settings:
//! - `fence` (required): `minLat,minLon,maxLat,maxLon` in degrees; the edges are inside.
//! - `event.type` (default `vehicle.location.updated`): the events to fence.
//! - `type.field` (default `type`): dotted path of the event type in the JSON value.
//! - `lat.field` (default `location.lat`), `lon.field` (default `location.lon`): dotted paths of
//!   the coordinates.
//!
//! Outcomes: an event of type `event.type` is kept inside the fence, dropped outside it, and
//! fails if its coordinates are missing or not numbers. Any other record (other event types, a
//! value that is not JSON, a null value) is kept.
//!
//! Counters: `geo_fence.inside`, `geo_fence.outside`.

use serde_json::Value;
use sluice_transform_sdk::{Config, Outcome, RecordRef, Transform, counter_add, export_transform};

pub struct GeoFence {
    fence: Fence,
    event_type: String,
    type_pointer: String,
    lat: Field,
    lon: Field,
}

struct Fence {
    min_lat: f64,
    min_lon: f64,
    max_lat: f64,
    max_lon: f64,
}

/// A coordinate's dotted path (for messages) and JSON pointer (for lookups).
struct Field {
    path: String,
    pointer: String,
}

impl Transform for GeoFence {
    fn init(config: &Config) -> Result<Self, String> {
        Ok(GeoFence {
            fence: Fence::parse(config.required("fence")?)?,
            event_type: config
                .get("event.type")
                .unwrap_or("vehicle.location.updated")
                .to_owned(),
            type_pointer: field(config, "type.field", "type")?.pointer,
            lat: field(config, "lat.field", "location.lat")?,
            lon: field(config, "lon.field", "location.lon")?,
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        let Some(doc) = record
            .value
            .and_then(|v| serde_json::from_slice::<Value>(v).ok())
        else {
            return Outcome::Keep;
        };
        if doc.pointer(&self.type_pointer).and_then(Value::as_str) != Some(&self.event_type) {
            return Outcome::Keep;
        }
        let (lat, lon) = match (self.lat.number(&doc), self.lon.number(&doc)) {
            (Ok(lat), Ok(lon)) => (lat, lon),
            (Err(field), _) | (_, Err(field)) => {
                return Outcome::Fail(format!(
                    "{} event has no numeric `{field}`",
                    self.event_type
                ));
            }
        };
        if self.fence.contains(lat, lon) {
            counter_add("geo_fence.inside", 1);
            Outcome::Keep
        } else {
            counter_add("geo_fence.outside", 1);
            Outcome::Drop
        }
    }
}

impl Fence {
    fn parse(text: &str) -> Result<Fence, String> {
        let malformed = || {
            format!(
                "setting `fence`: expected `minLat,minLon,maxLat,maxLon` in degrees, got `{text}`"
            )
        };
        let numbers = text
            .split(',')
            .map(|n| n.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let [min_lat, min_lon, max_lat, max_lon] = numbers[..] else {
            return Err(malformed());
        };
        if min_lat > max_lat || min_lon > max_lon {
            return Err(format!(
                "setting `fence`: the minimum is above the maximum in `{text}` \
                 (expected `minLat,minLon,maxLat,maxLon`)"
            ));
        }
        Ok(Fence {
            min_lat,
            min_lon,
            max_lat,
            max_lon,
        })
    }

    fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

impl Field {
    /// The number at this field, or the field's path if it is missing or not a number.
    fn number(&self, doc: &Value) -> Result<f64, &str> {
        doc.pointer(&self.pointer)
            .and_then(Value::as_f64)
            .ok_or(&self.path)
    }
}

/// The dotted path in setting `key` (or `default`) and its JSON pointer.
fn field(config: &Config, key: &str, default: &str) -> Result<Field, String> {
    let path = config.get(key).unwrap_or(default).trim();
    let mut pointer = String::with_capacity(path.len() + 1);
    for segment in path.split('.') {
        if segment.is_empty() {
            return Err(format!("setting `{key}`: empty segment in path `{path}`"));
        }
        // RFC 6901 escapes, so names holding `~` or `/` still match.
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    Ok(Field {
        path: path.to_owned(),
        pointer,
    })
}

export_transform!(GeoFence);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::GeoFence;

    /// Roughly Oslo.
    const FENCE: (&str, &str) = ("fence", "59.8,10.6,60.0,10.9");

    fn event(lat: &str, lon: &str) -> Record<'static> {
        Record::new("vehicles").with_value(format!(
            r#"{{"type":"vehicle.location.updated","vin":"V1","location":{{"lat":{lat},"lon":{lon}}}}}"#
        ))
    }

    #[test]
    fn keeps_inside_drops_outside_edges_inclusive() {
        let mut plugin: GeoFence = testing::init(&[FENCE]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                event("59.91", "10.75"),
                event("51.5", "-0.12"),
                event("59.8", "10.9"),
                event("60.0001", "10.7"),
            ],
        );
        assert_eq!(
            out,
            vec![Outcome::Keep, Outcome::Drop, Outcome::Keep, Outcome::Drop]
        );
        assert_eq!(testing::counter("geo_fence.inside"), 2);
        assert_eq!(testing::counter("geo_fence.outside"), 2);
    }

    #[test]
    fn fails_fenced_events_without_numeric_coordinates() {
        let mut plugin: GeoFence = testing::init(&[FENCE]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                event("\"59.9\"", "10.7"),
                Record::new("vehicles").with_value(r#"{"type":"vehicle.location.updated"}"#),
                event("59.9", "null"),
            ],
        );
        assert_eq!(
            out,
            vec![
                Outcome::Fail(
                    "vehicle.location.updated event has no numeric `location.lat`".into()
                ),
                Outcome::Fail(
                    "vehicle.location.updated event has no numeric `location.lat`".into()
                ),
                Outcome::Fail(
                    "vehicle.location.updated event has no numeric `location.lon`".into()
                ),
            ]
        );
    }

    #[test]
    fn keeps_other_events_non_json_and_nulls() {
        let mut plugin: GeoFence = testing::init(&[FENCE]).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                Record::new("vehicles").with_value(r#"{"type":"vehicle.parked","location":{}}"#),
                Record::new("vehicles").with_value("poison 7"),
                Record::new("vehicles"),
            ],
        );
        assert_eq!(out, vec![Outcome::Keep; 3]);
        assert!(testing::counters().is_empty());
    }

    #[test]
    fn fields_and_event_type_are_configurable() {
        let mut plugin: GeoFence = testing::init(&[
            FENCE,
            ("event.type", "position"),
            ("type.field", "meta.kind"),
            ("lat.field", "latitude"),
            ("lon.field", "longitude"),
        ])
        .unwrap();
        let inside = r#"{"meta":{"kind":"position"},"latitude":59.9,"longitude":10.7}"#;
        let outside = r#"{"meta":{"kind":"position"},"latitude":0,"longitude":0}"#;
        let out = testing::run(
            &mut plugin,
            &[
                Record::new("t").with_value(inside),
                Record::new("t").with_value(outside),
            ],
        );
        assert_eq!(out, vec![Outcome::Keep, Outcome::Drop]);
    }

    #[test]
    fn init_errors_name_the_setting() {
        let err = |settings: &[(&str, &str)]| testing::init::<GeoFence>(settings).err().unwrap();
        assert_eq!(err(&[]), "missing required setting `fence`");
        for bad in ["1,2,3", "a,b,c,d", "1,2,3,4,5", "NaN,0,1,1"] {
            assert_eq!(
                err(&[("fence", bad)]),
                format!(
                    "setting `fence`: expected `minLat,minLon,maxLat,maxLon` in degrees, got `{bad}`"
                )
            );
        }
        assert_eq!(
            err(&[("fence", "60,10,59,11")]),
            "setting `fence`: the minimum is above the maximum in `60,10,59,11` \
             (expected `minLat,minLon,maxLat,maxLon`)"
        );
        assert_eq!(
            err(&[FENCE, ("lat.field", "location..lat")]),
            "setting `lat.field`: empty segment in path `location..lat`"
        );
    }
}
