//! The `wasm` transform: hands batches to a plugin instance, turns its outcomes back into
//! records, and contains every way a plugin can fail to the records that caused it.

use std::sync::Arc;

use sluice_api::{BatchOutput, ConnectError, ConnectResult, Props, Record, Transform};
use sluice_wasm_abi::{BatchReader, BatchWriter, OutcomeReader, OutcomeRef, tag};

use super::codec;
use super::error::PluginError;
use super::instance::Instance;
use super::module::{self, Module};
use super::reload::Reloader;
use super::settings::WasmSettings;
use super::state::LogSink;

pub struct WasmTransform {
    settings: WasmSettings,
    module: Arc<Module>,
    /// `None` after a failure discarded it; the next call starts a fresh one.
    instance: Option<Instance>,
    reloader: Option<Reloader>,
    log: LogSink,
    writer: BatchWriter,
    counters: Vec<(String, u64)>,
}

impl WasmTransform {
    /// Loads the module and starts an instance, so bad settings fail the task at start.
    pub fn new(settings: WasmSettings, log: LogSink) -> Result<Self, PluginError> {
        let module = module::load(&settings.module, settings.cache_dir.as_deref())?;
        WasmTransform::with_module(module, settings, log)
    }

    /// Runs an already loaded module (`settings.module` is still watched for hot reload).
    pub fn with_module(
        module: Arc<Module>,
        settings: WasmSettings,
        log: LogSink,
    ) -> Result<Self, PluginError> {
        let instance = Instance::start(&module, &settings, log.clone())?;
        let reloader = settings.reload_check.map(|interval| {
            Reloader::new(
                settings.module.clone(),
                settings.cache_dir.clone(),
                interval,
            )
        });
        Ok(WasmTransform {
            settings,
            module,
            instance: Some(instance),
            reloader,
            log,
            writer: BatchWriter::new(),
            counters: Vec::new(),
        })
    }

    pub fn from_props(props: &Props) -> ConnectResult<Self> {
        let settings = WasmSettings::parse(props)?;
        let log = LogSink::Tracing {
            module: settings.module.display().to_string().into(),
        };
        WasmTransform::new(settings, log).map_err(PluginError::into_connect)
    }

    pub fn module(&self) -> &Arc<Module> {
        &self.module
    }

    /// Linear memory of the live instance, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.instance.as_ref().map_or(0, Instance::memory_bytes)
    }

    /// Swaps in a changed module between batches. A module that fails to load or initialise
    /// is reported and the running one kept.
    fn reload(&mut self) {
        let Some(result) = self.reloader.as_mut().and_then(Reloader::poll) else {
            return;
        };
        let path = self.settings.module.display().to_string();
        let started = result.and_then(|module| {
            if module.digest == self.module.digest {
                // Touched but not changed.
                return Ok(None);
            }
            let instance = Instance::start(&module, &self.settings, self.log.clone())?;
            Ok(Some((module, instance)))
        });
        match started {
            Ok(None) => {}
            Ok(Some((module, instance))) => {
                tracing::info!(module = %path, from = %&self.module.digest[..12], to = %&module.digest[..12], "WASM plugin reloaded");
                self.retire_instance();
                self.module = module;
                self.instance = Some(instance);
            }
            Err(err) => {
                tracing::error!(module = %path, error = %err, "WASM plugin changed but cannot be loaded; the previous version keeps running")
            }
        }
    }

    fn retire_instance(&mut self) {
        if let Some(mut instance) = self.instance.take() {
            add_counters(&mut self.counters, instance.take_counters());
        }
    }

    /// Runs `records` (indexes from `base`) through the plugin; on a failed call, retries each
    /// half on a fresh instance until the failure is pinned to single records.
    fn run(
        &mut self,
        mut records: Vec<Record>,
        base: usize,
        out: &mut BatchOutput,
    ) -> ConnectResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let result = self
            .call(&records)
            .and_then(|outcomes| check_outcomes(&outcomes, records.len()).map(|()| outcomes));
        match result {
            Ok(outcomes) => {
                decode(&outcomes, self.writer.finish(), records, base, out);
                Ok(())
            }
            Err(err @ PluginError::Config(_)) => Err(err.into_connect()),
            Err(PluginError::Batch(reason)) => {
                if records.len() == 1 {
                    out.failures.push((base, ConnectError::data(reason)));
                    return Ok(());
                }
                tracing::debug!(records = records.len(), error = %reason, "WASM plugin failed a batch; bisecting");
                let right = records.split_off(records.len() / 2);
                let middle = base + records.len();
                self.run(records, base, out)?;
                self.run(right, middle, out)
            }
        }
    }

    /// Encodes and runs one batch. A record that cannot be encoded is a plugin-independent
    /// data error; it is reported as a failed batch of one so bisection isolates it too.
    fn call(&mut self, records: &[Record]) -> Result<Vec<u8>, PluginError> {
        self.writer.clear();
        for record in records {
            codec::write_record(&mut self.writer, record).map_err(|e| {
                PluginError::Batch(format!("cannot hand the record to the WASM plugin: {e}"))
            })?;
        }
        let instance = match self.instance.as_mut() {
            Some(instance) => instance,
            None => self.instance.insert(Instance::start(
                &self.module,
                &self.settings,
                self.log.clone(),
            )?),
        };
        let result = instance.call(self.writer.finish());
        if result.is_err() {
            self.retire_instance();
        }
        result
    }
}

impl Transform for WasmTransform {
    fn apply(&mut self, record: Record) -> ConnectResult<Option<Record>> {
        let mut out = BatchOutput::default();
        self.apply_batch(vec![record], &mut out)?;
        if let Some((_, err)) = out.failures.pop() {
            return Err(err);
        }
        match out.records.len() {
            0 | 1 => Ok(out.records.pop().map(|(_, r)| r)),
            n => Err(ConnectError::data(format!(
                "the WASM plugin fanned one record out into {n}; only a batch pipeline can carry that"
            ))),
        }
    }

    fn apply_batch(
        &mut self,
        mut records: Vec<Record>,
        out: &mut BatchOutput,
    ) -> ConnectResult<()> {
        self.reload();
        let chunk = self.settings.batch_max_records;
        let mut base = 0;
        while !records.is_empty() {
            let rest = records.split_off(records.len().min(chunk));
            let len = records.len();
            self.run(records, base, out)?;
            base += len;
            records = rest;
        }
        Ok(())
    }

    fn drain_counters(&mut self, report: &mut dyn FnMut(&str, u64)) {
        if let Some(instance) = self.instance.as_mut() {
            add_counters(&mut self.counters, instance.take_counters());
        }
        for (name, delta) in self.counters.drain(..) {
            report(&name, delta);
        }
    }
}

fn add_counters(total: &mut Vec<(String, u64)>, more: Vec<(String, u64)>) {
    for (name, delta) in more {
        match total.iter_mut().find(|(n, _)| *n == name) {
            Some((_, sum)) => *sum += delta,
            None => total.push((name, delta)),
        }
    }
}

/// Checks that the plugin returned one well-formed outcome per record; anything else fails the
/// call like a trap, so the batch is bisected rather than half applied.
fn check_outcomes(outcomes: &[u8], records: usize) -> Result<(), PluginError> {
    if keeps_or_drops_only(outcomes, records) {
        return Ok(());
    }
    let malformed = |detail: String| {
        PluginError::Batch(format!(
            "the WASM plugin returned malformed outcomes: {detail}"
        ))
    };
    let reader = OutcomeReader::new(outcomes).map_err(|e| malformed(e.to_string()))?;
    if reader.len() != records {
        return Err(malformed(format!(
            "{} outcomes for {records} records",
            reader.len()
        )));
    }
    for outcome in reader {
        if let OutcomeRef::FanOut(outputs) = outcome.map_err(|e| malformed(e.to_string()))? {
            for output in outputs {
                output.map_err(|e| malformed(e.to_string()))?;
            }
        }
    }
    Ok(())
}

/// Whether the outcomes are one keep or drop byte per record, the common case of filters and
/// pass-throughs, which needs no record read back.
fn keeps_or_drops_only(outcomes: &[u8], records: usize) -> bool {
    outcomes.len() == 4 + records
        && outcomes[..4] == (records as u32).to_le_bytes()
        && outcomes[4..].iter().all(|tag| *tag <= tag::DROP)
}

/// Turns checked outcome `i` into the output records of `records[i]`.
fn decode(outcomes: &[u8], batch: &[u8], records: Vec<Record>, base: usize, out: &mut BatchOutput) {
    out.records.reserve(records.len());
    if keeps_or_drops_only(outcomes, records.len()) {
        let kept = outcomes[4..].iter().zip(records).enumerate();
        out.records.extend(
            kept.filter(|(_, (tag, _))| **tag == tag::KEEP)
                .map(|(index, (_, record))| (base + index, record)),
        );
        return;
    }
    let (Ok(outcomes), Ok(inputs)) = (OutcomeReader::new(outcomes), BatchReader::new(batch)) else {
        unreachable!("outcomes were checked and the batch was written here");
    };
    for (index, ((outcome, input), record)) in outcomes
        .flatten()
        .zip(inputs.flatten())
        .zip(records)
        .enumerate()
    {
        let index = base + index;
        match outcome {
            OutcomeRef::Keep => out.records.push((index, record)),
            OutcomeRef::Drop => {}
            OutcomeRef::Fail(reason) => out.failures.push((
                index,
                ConnectError::data(format!("the WASM plugin failed the record: {reason}")),
            )),
            OutcomeRef::Replace(output) => {
                let mut record = record;
                match codec::apply(&mut record, &output, &input) {
                    Ok(()) => out.records.push((index, record)),
                    Err(err) => out.failures.push((index, err)),
                }
            }
            OutcomeRef::FanOut(outputs) => {
                let fanned: ConnectResult<Vec<_>> = outputs
                    .flatten()
                    .map(|output| {
                        let mut copy = record.clone();
                        codec::apply(&mut copy, &output, &input).map(|()| (index, copy))
                    })
                    .collect();
                match fanned {
                    Ok(fanned) => out.records.extend(fanned),
                    Err(err) => out.failures.push((index, err)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use sluice_api::data::Value;
    use sluice_wasm_abi::OutcomeWriter;

    use super::*;

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| Record::new("t").with_value(None, Value::String(format!("v{i}"))))
            .collect()
    }

    #[test]
    fn keep_and_drop_outcomes_take_the_short_path() {
        let mut outcomes = OutcomeWriter::with_capacity(3);
        outcomes.keep();
        outcomes.drop();
        outcomes.keep();
        let outcomes = outcomes.into_bytes();
        assert!(keeps_or_drops_only(&outcomes, 3));
        check_outcomes(&outcomes, 3).unwrap();
        let mut out = BatchOutput::default();
        decode(&outcomes, &[], records(3), 10, &mut out);
        let kept: Vec<_> = out
            .records
            .iter()
            .map(|(i, r)| (*i, r.value.clone()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (10, Value::String("v0".into())),
                (12, Value::String("v2".into()))
            ]
        );
    }

    #[test]
    fn outcomes_that_do_not_match_the_batch_are_refused() {
        // One byte per record, but not a keep or drop tag.
        let unknown = [3, 0, 0, 0, 0, 9, 1];
        assert!(!keeps_or_drops_only(&unknown, 3));
        assert!(check_outcomes(&unknown, 3).is_err());
        // A count that does not match the batch.
        let short = [2, 0, 0, 0, 0, 0];
        assert!(check_outcomes(&short, 3).is_err());
        assert!(check_outcomes(&[0, 0], 0).is_err());
    }
}
