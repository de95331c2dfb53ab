//! Content-based routing: sends each record to a topic chosen by the value of one field of its
//! JSON value, e.g. orders to `orders.eu` or `orders.us` by `region`.
//!
//! Settings:
//! - `field` (required): dotted path of the field in the value.
//! - `routes` (required): `value=topic,value=topic,…`. A string field matches by its text, a
//!   number or boolean by its JSON text (`42`, `true`).
//! - `default.topic` (optional): the topic for records that match no route (the field is
//!   missing, null or another value, the value is not JSON or is null). Without it they keep
//!   their topic.
//!
//! Outcomes: a routed record is replaced with only its topic changed.
//!
//! Counters: `router.<topic>`, one per record sent to `<topic>` (default topic included).

use std::collections::HashMap;

use serde_json::Value;
use sluice_transform_sdk::{
    Config, Outcome, Record, RecordRef, Transform, counter_add, export_transform,
};

pub struct Router {
    pointer: String,
    /// Field value → route.
    routes: HashMap<String, Route>,
    default: Option<Route>,
}

struct Route {
    topic: String,
    /// `router.<topic>`, built once rather than per record.
    counter: String,
}

impl Route {
    fn new(topic: &str) -> Route {
        Route {
            topic: topic.to_owned(),
            counter: format!("router.{topic}"),
        }
    }
}

impl Transform for Router {
    fn init(config: &Config) -> Result<Self, String> {
        let path = config.required("field")?.trim();
        let mut pointer = String::with_capacity(path.len() + 1);
        for segment in path.split('.') {
            if segment.is_empty() {
                return Err(format!("setting `field`: empty segment in path `{path}`"));
            }
            // RFC 6901 escapes, so names holding `~` or `/` still match.
            pointer.push('/');
            pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
        }

        let mut routes = HashMap::new();
        for entry in config.required("routes")?.split(',') {
            let route = entry.split_once('=').map(|(v, t)| (v.trim(), t.trim()));
            let Some((value, topic)) = route.filter(|(v, t)| !v.is_empty() && !t.is_empty()) else {
                return Err(format!(
                    "setting `routes`: expected `value=topic`, got `{}`",
                    entry.trim()
                ));
            };
            if routes.insert(value.to_owned(), Route::new(topic)).is_some() {
                return Err(format!("setting `routes`: value `{value}` is routed twice"));
            }
        }

        let default = config
            .get("default.topic")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Route::new);
        Ok(Router {
            pointer,
            routes,
            default,
        })
    }

    fn transform<'a>(&mut self, record: RecordRef<'a>) -> Outcome<'a> {
        let doc = record
            .value
            .and_then(|v| serde_json::from_slice::<Value>(v).ok());
        let matched = match doc.as_ref().and_then(|d| d.pointer(&self.pointer)) {
            Some(Value::String(s)) => self.routes.get(s.as_str()),
            Some(Value::Number(n)) => self.routes.get(&n.to_string()),
            Some(Value::Bool(b)) => self.routes.get(if *b { "true" } else { "false" }),
            _ => None,
        };
        let Some(route) = matched.or(self.default.as_ref()) else {
            return Outcome::Keep;
        };
        counter_add(&route.counter, 1);
        if route.topic == record.topic {
            // Already there: keeping is the same record and sends nothing back.
            return Outcome::Keep;
        }
        Outcome::Replace(Record::from(record).with_topic(route.topic.clone()))
    }
}

export_transform!(Router);

#[cfg(test)]
mod tests {
    use sluice_transform_sdk::{Outcome, Record, testing};

    use super::Router;

    const ROUTES: [(&str, &str); 2] = [
        ("field", "order.region"),
        (
            "routes",
            "eu=orders.eu, us = orders.us,42=orders.answer,true=orders.yes",
        ),
    ];

    fn order(region: &str) -> Record<'static> {
        Record::new("orders")
            .with_key("o-1")
            .with_value(format!(r#"{{"order":{{"id":1,"region":{region}}}}}"#))
            .with_header("trace", "t1")
    }

    fn routed(record: Record<'static>, topic: &'static str) -> Outcome<'static> {
        Outcome::Replace(record.with_topic(topic))
    }

    #[test]
    fn routes_by_string_number_and_bool() {
        let mut plugin: Router = testing::init(&ROUTES).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                order("\"eu\""),
                order("\"us\""),
                order("42"),
                order("true"),
                order("\"eu\""),
            ],
        );
        assert_eq!(
            out,
            vec![
                routed(order("\"eu\""), "orders.eu"),
                routed(order("\"us\""), "orders.us"),
                routed(order("42"), "orders.answer"),
                routed(order("true"), "orders.yes"),
                routed(order("\"eu\""), "orders.eu"),
            ]
        );
        assert_eq!(
            testing::counters(),
            vec![
                ("router.orders.answer".to_owned(), 1),
                ("router.orders.eu".to_owned(), 2),
                ("router.orders.us".to_owned(), 1),
                ("router.orders.yes".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn unmatched_records_keep_their_topic_without_a_default() {
        let mut plugin: Router = testing::init(&ROUTES).unwrap();
        let out = testing::run(
            &mut plugin,
            &[
                order("\"apac\""),
                order("null"),
                order("{\"eu\":1}"),
                Record::new("orders").with_value("not json"),
                Record::new("orders"),
            ],
        );
        assert_eq!(out, vec![Outcome::Keep; 5]);
        assert!(testing::counters().is_empty());
    }

    #[test]
    fn unmatched_records_go_to_the_default_topic() {
        let mut settings = ROUTES.to_vec();
        settings.push(("default.topic", "orders.other"));
        let mut plugin: Router = testing::init(&settings).unwrap();
        let out = testing::run(&mut plugin, &[order("\"apac\""), Record::new("orders")]);
        assert_eq!(
            out,
            vec![
                routed(order("\"apac\""), "orders.other"),
                routed(Record::new("orders"), "orders.other"),
            ]
        );
        assert_eq!(testing::counter("router.orders.other"), 2);
    }

    #[test]
    fn a_record_already_on_its_topic_is_kept() {
        let mut plugin: Router = testing::init(&ROUTES).unwrap();
        let out = testing::run_one(&mut plugin, order("\"eu\"").with_topic("orders.eu"));
        assert_eq!(out, Outcome::Keep);
        assert_eq!(testing::counter("router.orders.eu"), 1);
    }

    #[test]
    fn init_errors_name_the_setting() {
        let err = |settings: &[(&str, &str)]| testing::init::<Router>(settings).err().unwrap();
        assert_eq!(
            err(&[("routes", "a=b")]),
            "missing required setting `field`"
        );
        assert_eq!(err(&[("field", "x")]), "missing required setting `routes`");
        for (routes, bad) in [("a=b,c", "c"), ("a=", "a="), ("=t", "=t"), ("a=b,,c=d", "")] {
            assert_eq!(
                err(&[("field", "x"), ("routes", routes)]),
                format!("setting `routes`: expected `value=topic`, got `{bad}`")
            );
        }
        assert_eq!(
            err(&[("field", "x"), ("routes", "a=b,a=c")]),
            "setting `routes`: value `a` is routed twice"
        );
    }
}
