//! `ls`: list machines with their state and Docker version.
//!
//! The machines, their states and the filters are [`libmachine::listing`]'s (with the
//! deliberate differences from 0.16.2); this is the flags, the `--format` template (Go's
//! `text/template` over Go's `HostListItem`) and the table.

use crate::cli::tabwriter::TabWriter;
use crate::cli::{CmdError, Command, Context};
use libmachine::listing::{self, Filters, Item};
use libmachine::mcnflag::Flag;
use libmachine::template::{GoType, Value as TValue};
use libmachine::State;
use serde_json::{json, Value};
use std::io::Write;
use std::time::Duration;

pub fn command() -> Command {
    Command {
        name: "ls",
        usage: "List machines",
        description: String::new(),
        flags: vec![
            Flag::bool("quiet, q", "", "Enable quiet mode"),
            Flag::string_slice(
                "filter",
                "",
                "Filter output based on conditions provided",
                &[],
            ),
            Flag::int("timeout, t", "", "Timeout in seconds, default to 10s", 10),
            Flag::string(
                "format, f",
                "",
                "Pretty-print machines using a Go template",
                "",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

const TABLE_KEY: &str = "table";
const DEFAULT_FORMAT: &str = "table {{ .Name }}\t{{ .Active }}\t{{ .DriverName}}\t{{ .State }}\t{{ .URL }}\t{{ .Swarm }}\t{{ .DockerVersion }}\t{{ .Error}}";

/// The header each field gets in a `table` format.
const HEADERS: &[(&str, &str)] = &[
    ("Name", "NAME"),
    ("Active", "ACTIVE"),
    ("ActiveHost", "ACTIVE_HOST"),
    ("ActiveSwarm", "ACTIVE_SWARM"),
    ("DriverName", "DRIVER"),
    ("State", "STATE"),
    ("URL", "URL"),
    ("SwarmOptions", "SWARM_OPTIONS"),
    ("Swarm", "SWARM"),
    ("EngineOptions", "ENGINE_OPTIONS"),
    ("Error", "ERRORS"),
    ("DockerVersion", "DOCKER"),
    ("ResponseTime", "RESPONSE"),
];

fn action(ctx: &Context) -> Result<(), CmdError> {
    let filters = Filters::parse(&ctx.flags.string_slice("filter")).map_err(CmdError::new)?;
    let timeout = super::timeout_flag(ctx);
    let quiet = ctx.flags.bool("quiet");
    let format = if quiet {
        None
    } else {
        Some(Format::parse(&ctx.flags.string("format")).map_err(CmdError::new)?)
    };

    let all = listing::load_all(&ctx.store).map_err(CmdError::new)?;
    let masters = listing::swarm_masters(&all.hosts);
    let hosts = filters.apply(all.hosts, &masters, timeout);
    let broken: Vec<(String, String)> = all
        .broken
        .into_iter()
        .filter(|(name, _)| filters.matches_broken(name))
        .collect();

    if quiet {
        let mut out = String::new();
        for h in &hosts {
            out.push_str(&h.name);
            out.push('\n');
        }
        print_out(&out);
        return Ok(());
    }
    let format = format.expect("parsed unless quiet");

    let docker_host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let items = listing::host_list_items(hosts, broken, &masters, timeout, &docker_host, true);
    let mut text = String::new();
    if format.table {
        text.push_str(&format.render_header()?);
    }
    let mut failure = None;
    for item in &items {
        if let Err(e) = format.render_item(&mut text, item) {
            failure = Some(e);
            break;
        }
    }
    if format.table {
        text = TabWriter::TABLE.format(&text);
    }
    print_out(&text);
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`ls | head -1`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A row as `--format` templates see it: Go's `HostListItem` in JSON.
fn row_value(item: &Item) -> Value {
    json!({
        "Name": item.name,
        "Active": item.active,
        "ActiveHost": item.active_host,
        "ActiveSwarm": item.active_swarm,
        "DriverName": item.driver_name,
        "State": item.state.as_str(),
        "URL": item.url,
        "SwarmOptions": item.swarm_options,
        "Swarm": item.swarm,
        "EngineOptions": item.engine_options,
        "Error": item.error,
        "DockerVersion": item.docker_version,
        "ResponseTime": go_duration(item.response_time),
    })
}

/// Go's `time.Duration.String()`: `0s`, `6ms`, `1.5s`, `1m30s`, `2h0m0s`.
fn go_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    fn frac(v: u128, unit: u128) -> String {
        let (int, rem) = (v / unit, v % unit);
        if rem == 0 {
            return int.to_string();
        }
        let width = unit.ilog10() as usize;
        let digits = format!("{rem:0width$}");
        format!("{int}.{}", digits.trim_end_matches('0'))
    }
    if ns == 0 {
        return "0s".into();
    }
    if ns < 1_000 {
        return format!("{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{}µs", frac(ns, 1_000));
    }
    if ns < 1_000_000_000 {
        return format!("{}ms", frac(ns, 1_000_000));
    }
    let minutes_total = ns / 60_000_000_000;
    let (h, m) = (minutes_total / 60, minutes_total % 60);
    let secs = frac(ns % 60_000_000_000, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

/// A parsed `--format`: whether it is a table, and its template.
struct Format {
    table: bool,
    template: Template,
}

impl Format {
    fn parse(raw: &str) -> Result<Format, String> {
        let mut format = if raw.is_empty() { DEFAULT_FORMAT } else { raw };
        let table = format.starts_with(TABLE_KEY);
        if table {
            format = &format[TABLE_KEY.len()..];
        }
        let format = format
            .trim_matches(' ')
            .replace("\\t", "\t")
            .replace("\\n", "\n");
        let template = Template::parse(&format!("{format}\n"))?;
        Ok(Format { table, template })
    }

    /// The header: the template over a field -> header map (unknown fields: `<no value>`).
    fn render_header(&self) -> Result<String, CmdError> {
        let map: serde_json::Map<String, Value> = HEADERS
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect();
        self.template
            .render_lenient(&Value::Object(map))
            .map_err(CmdError::new)
    }

    /// A row appended to `out`: unknown fields are errors, as for a Go struct.
    fn render_item(&self, out: &mut String, item: &Item) -> Result<(), CmdError> {
        self.template
            .render_strict_into(out, &row_value(item))
            .map_err(CmdError::new)
    }
}

/// The Go text/template seam ([`libmachine::template`], plain: no `json`).
struct Template(libmachine::template::Template);

impl Template {
    fn parse(src: &str) -> Result<Template, String> {
        libmachine::template::Template::parse_plain(src)
            .map(|t| Template(t.with_types(ROW_TYPES)))
            .map_err(|e| e.to_string())
    }
    /// Over a map: a missing key prints `<no value>`.
    fn render_lenient(&self, data: &Value) -> Result<String, String> {
        self.0.render_map(data).map_err(|e| e.to_string())
    }
    /// Over a struct: an unknown field is an error. What was written before the error
    /// is kept in `out`, as Go's writer would have it.
    fn render_strict_into(&self, out: &mut String, data: &Value) -> Result<(), String> {
        self.0
            .execute(out, &libmachine::template::typed_value(data), true)
            .map_err(|e| e.to_string())
    }
}

/// A row's typed fields as Go's `HostListItem` has them: `State` is a `state.State` (an
/// int with a `String` method), `ResponseTime` a `time.Duration`.
const ROW_TYPES: &[GoType] = &[
    GoType {
        field: "State",
        methods: &[("String", |v| Ok(v.clone()))],
        compare_as: Some(|v| {
            let name = v.to_string();
            let number = State::ALL.iter().position(|s| s.as_str() == name);
            Ok(TValue::Int(number.unwrap_or(0) as i64))
        }),
    },
    GoType {
        field: "ResponseTime",
        methods: &[
            ("String", |v| Ok(v.clone())),
            ("Seconds", |v| Ok(TValue::Float(nanos(v)? as f64 / 1e9))),
            ("Minutes", |v| Ok(TValue::Float(nanos(v)? as f64 / 6e10))),
            ("Hours", |v| Ok(TValue::Float(nanos(v)? as f64 / 3.6e12))),
            ("Milliseconds", |v| Ok(TValue::Int(nanos(v)? / 1_000_000))),
            ("Microseconds", |v| Ok(TValue::Int(nanos(v)? / 1_000))),
            ("Nanoseconds", |v| Ok(TValue::Int(nanos(v)?))),
        ],
        compare_as: Some(|v| Ok(TValue::Int(nanos(v)?))),
    },
];

/// The nanoseconds of a duration as [`go_duration`] printed it.
fn nanos(v: &TValue) -> libmachine::template::GoResult<i64> {
    let text = v.to_string();
    let mut total = 0f64;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, tail) = rest.split_at(split);
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "µs" | "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 6e10,
            "h" => 3.6e12,
            _ => {
                return Err(libmachine::template::exec_error(format!(
                    "not a duration: {text:?}"
                )))
            }
        };
        let value: f64 = number
            .parse()
            .map_err(|_| libmachine::template::exec_error(format!("not a duration: {text:?}")))?;
        total += value * scale;
        rest = tail;
    }
    Ok(total.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_go() {
        assert_eq!(go_duration(Duration::ZERO), "0s");
        assert_eq!(go_duration(Duration::from_millis(6)), "6ms");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(10)), "10s");
        assert_eq!(go_duration(Duration::from_secs(60)), "1m0s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
        assert_eq!(go_duration(Duration::from_micros(1500)), "1.5ms");
    }
}
