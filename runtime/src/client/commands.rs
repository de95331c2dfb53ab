//! What each `sluice connectors` command sends, and what it prints for the answer.

use std::path::Path;

use reqwest::{Method, Url};
use serde_json::{Value as Json, json};

use super::args::{ConnectorsCommand, OutputFormat};
use super::http::{Api, ClientError, Reply};
use super::views;
use crate::config::files::FileError;
use crate::config::read_connector_file;

/// Runs one command against the worker and returns what to print on stdout.
pub async fn execute(
    api: &Api,
    command: &ConnectorsCommand,
    output: OutputFormat,
) -> Result<String, ClientError> {
    let out = Printer { output };
    match command {
        ConnectorsCommand::List => {
            let url = api.url(&["connectors"], &[("expand", "status"), ("expand", "info")]);
            let reply = api.send(Method::GET, url.clone(), None).await?;
            out.view(&reply, &url, views::list_table)
        }
        ConnectorsCommand::Get { name } => {
            let url = api.url(&["connectors", name], &[]);
            let reply = api.send(Method::GET, url.clone(), None).await?;
            out.view(&reply, &url, |body| {
                Ok(views::info_table(&views::parse(body, "a ConnectorInfo")?))
            })
        }
        ConnectorsCommand::Create {
            file,
            initial_state,
            replace,
        } => {
            let connector = read_connector_file(file)?;
            let name = connector.name;
            let config = json!(connector.config);
            let reply = if *replace {
                let url = api.url(&["connectors", &name, "config"], &[]);
                api.send(Method::PUT, url, Some(&config)).await?
            } else {
                let mut body = json!({"name": name, "config": config});
                if let Some(state) = initial_state {
                    body["initial_state"] = json!(state.as_str());
                }
                let url = api.url(&["connectors"], &[]);
                api.send(Method::POST, url, Some(&body)).await?
            };
            // A PUT upsert answers 201 when it created the connector and 200 when it updated it.
            let done = if reply.status == 201 {
                "created"
            } else {
                "updated"
            };
            Ok(out.confirm(&reply, format!("{done} connector {name}")))
        }
        ConnectorsCommand::Delete { name } => {
            let url = api.url(&["connectors", name], &[]);
            let reply = api.send(Method::DELETE, url, None).await?;
            Ok(out.confirm(&reply, format!("deleted connector {name}")))
        }
        // Pause and resume are carried out in the background (202), hence "-ing".
        ConnectorsCommand::Pause { name } => {
            let url = api.url(&["connectors", name, "pause"], &[]);
            let reply = api.send(Method::PUT, url, None).await?;
            Ok(out.confirm(&reply, format!("pausing connector {name}")))
        }
        ConnectorsCommand::Resume { name } => {
            let url = api.url(&["connectors", name, "resume"], &[]);
            let reply = api.send(Method::PUT, url, None).await?;
            Ok(out.confirm(&reply, format!("resuming connector {name}")))
        }
        ConnectorsCommand::Stop { name } => {
            let url = api.url(&["connectors", name, "stop"], &[]);
            let reply = api.send(Method::PUT, url, None).await?;
            Ok(out.confirm(&reply, format!("stopped connector {name}")))
        }
        ConnectorsCommand::Restart {
            name,
            include_tasks,
            only_failed,
            task,
        } => {
            if let Some(task) = task {
                let task = task.to_string();
                let url = api.url(&["connectors", name, "tasks", &task, "restart"], &[]);
                let reply = api.send(Method::POST, url, None).await?;
                return Ok(
                    out.confirm(&reply, format!("restarted task {task} of connector {name}"))
                );
            }
            let url = api.url(
                &["connectors", name, "restart"],
                &[
                    ("includeTasks", bool_text(*include_tasks)),
                    ("onlyFailed", bool_text(*only_failed)),
                ],
            );
            let reply = api.send(Method::POST, url.clone(), None).await?;
            // With either flag the worker answers 202 and the instances it is restarting.
            if reply.body.is_some() {
                out.view(&reply, &url, status_view)
            } else {
                Ok(out.confirm(&reply, format!("restarted connector {name}")))
            }
        }
        ConnectorsCommand::Status { name } => {
            let url = api.url(&["connectors", name, "status"], &[]);
            let reply = api.send(Method::GET, url.clone(), None).await?;
            out.view(&reply, &url, status_view)
        }
        ConnectorsCommand::Offsets { name, reset, alter } => {
            let url = api.url(&["connectors", name, "offsets"], &[]);
            let reply = if *reset {
                api.send(Method::DELETE, url.clone(), None).await?
            } else if let Some(file) = alter {
                let body = read_offsets_file(file)?;
                api.send(Method::PATCH, url.clone(), Some(&body)).await?
            } else {
                let reply = api.send(Method::GET, url.clone(), None).await?;
                return out.view(&reply, &url, |body| {
                    Ok(views::offsets_table(&views::parse(
                        body,
                        "{\"offsets\":[…]}",
                    )?))
                });
            };
            out.view(&reply, &url, |body| {
                Ok(format!("{}\n", views::message_of(body)))
            })
        }
    }
}

fn status_view(body: &Json) -> Result<String, String> {
    Ok(views::status_table(&views::parse(
        body,
        "a ConnectorStateInfo",
    )?))
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Reads `{"offsets":[…]}` for `offsets --alter`, checking its shape before anything is sent.
fn read_offsets_file(path: &Path) -> Result<Json, FileError> {
    let error = |reason: String| FileError {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let body = parse_offsets_request(&text).map_err(error)?;
    Ok(body)
}

/// The body of `PATCH /connectors/{c}/offsets`: a JSON object whose `offsets` is a non-empty list
/// of `{"partition": {...}, "offset": {...} | null}`.
fn parse_offsets_request(text: &str) -> Result<Json, String> {
    let body: Json = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Some(Json::Array(entries)) = body.get("offsets") else {
        return Err("offsets: expected {\"offsets\": [{\"partition\": …, \"offset\": …}]}".into());
    };
    if entries.is_empty() {
        return Err("offsets: the list is empty; use --reset to clear all offsets".into());
    }
    for (i, entry) in entries.iter().enumerate() {
        if !entry.get("partition").is_some_and(Json::is_object) {
            return Err(format!("offsets[{i}].partition: expected a JSON object"));
        }
        if !entry
            .get("offset")
            .is_some_and(|o| o.is_object() || o.is_null())
        {
            return Err(format!(
                "offsets[{i}].offset: expected a JSON object, or null to reset the partition"
            ));
        }
    }
    Ok(body)
}

/// Prints answers as `--output` asks.
struct Printer {
    output: OutputFormat,
}

impl Printer {
    /// A command that shows data: the body pretty-printed, or the table `view` makes of it.
    fn view(
        &self,
        reply: &Reply,
        url: &Url,
        view: impl FnOnce(&Json) -> Result<String, String>,
    ) -> Result<String, ClientError> {
        let bad = |reason: String| ClientError::BadResponse {
            url: url.to_string(),
            reason,
        };
        match (self.output, &reply.body) {
            (OutputFormat::Json, _) => Ok(pretty(reply)),
            (OutputFormat::Table, Some(body)) => view(body).map_err(bad),
            (OutputFormat::Table, None) => Err(bad(format!(
                "status {} came without the expected body",
                reply.status
            ))),
        }
    }

    /// A command that changes something: the body pretty-printed, or a one-line confirmation.
    fn confirm(&self, reply: &Reply, message: String) -> String {
        match self.output {
            OutputFormat::Json => pretty(reply),
            OutputFormat::Table => format!("{message}\n"),
        }
    }
}

/// The body as pretty JSON with a final newline; nothing for an answer without a body.
fn pretty(reply: &Reply) -> String {
    match &reply.body {
        Some(body) => {
            let text = serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string());
            format!("{text}\n")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: Option<Json>) -> Reply {
        Reply { status, body }
    }

    #[test]
    fn json_output_is_the_pretty_body_or_nothing() {
        let printer = Printer {
            output: OutputFormat::Json,
        };
        assert_eq!(
            printer.confirm(&reply(201, Some(json!({"name": "x"}))), "created".into()),
            "{\n  \"name\": \"x\"\n}\n"
        );
        assert_eq!(printer.confirm(&reply(204, None), "deleted".into()), "");
    }

    #[test]
    fn table_output_confirms_in_one_line() {
        let printer = Printer {
            output: OutputFormat::Table,
        };
        assert_eq!(
            printer.confirm(&reply(204, None), "deleted connector x".into()),
            "deleted connector x\n"
        );
    }

    #[test]
    fn table_view_needs_a_body_and_names_a_bad_one() {
        let printer = Printer {
            output: OutputFormat::Table,
        };
        let url = Url::parse("http://w/connectors/x/status").unwrap();
        let err = printer
            .view(&reply(200, None), &url, status_view)
            .unwrap_err();
        assert!(
            err.to_string().contains("without the expected body"),
            "{err}"
        );
        let err = printer
            .view(&reply(200, Some(json!([1]))), &url, status_view)
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("unexpected response from http://w/connectors/x/status: expected a ConnectorStateInfo"),
            "{text}"
        );
    }

    #[test]
    fn offsets_request_accepts_kafka_connect_shape() {
        let text = r#"{"offsets":[{"partition":{"filename":"a"},"offset":{"position":1}},
                                  {"partition":{"filename":"b"},"offset":null}]}"#;
        let body = parse_offsets_request(text).unwrap();
        assert_eq!(body["offsets"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn offsets_request_errors_name_the_bad_entry() {
        assert!(
            parse_offsets_request("{")
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert!(
            parse_offsets_request(r#"{"offset":[]}"#)
                .unwrap_err()
                .starts_with("offsets: expected")
        );
        assert!(
            parse_offsets_request(r#"{"offsets":[]}"#)
                .unwrap_err()
                .contains("--reset")
        );
        assert_eq!(
            parse_offsets_request(
                r#"{"offsets":[{"partition":{"a":1},"offset":{}},{"offset":{}}]}"#
            )
            .unwrap_err(),
            "offsets[1].partition: expected a JSON object"
        );
        assert!(
            parse_offsets_request(r#"{"offsets":[{"partition":{"a":1},"offset":5}]}"#)
                .unwrap_err()
                .starts_with("offsets[0].offset:")
        );
    }
}
