//! `ls`: list machines with their state and Docker version.
//!
//! Every machine is asked for its URL, state and Docker version on its own thread; what
//! is not done when the `-t` timeout expires becomes a `Timeout` row. The threads are
//! detached, not scoped: a driver call that ignores timeouts (a 15 s TCP probe, a plugin
//! that hangs) cannot hold the listing past the deadline; the process exits without it.
//!
//! Deliberate differences from 0.16.2 (bug 5 in docs/original-bugs.md):
//! * `--filter label=KEY` (no `=`) is an error, not a Go panic; a bad `name` regex is
//!   reported before anything is listed.
//! * Machines whose config cannot be loaded are still shown, but filters apply to what
//!   their row shows: name = the machine name, driver = `not found`, state = `Error`,
//!   swarm = none, no labels. So `--filter name=^web` keeps a broken `web1`,
//!   `--filter state=error` finds the broken ones, `--filter driver=none` hides them.
//! * Names differing only in case (`n1`, `N1`) both get a row (the original collapsed them
//!   into one); they sort bytewise among themselves.
//! * The `state` filter asks drivers within the `-t` timeout (`Timeout` when late).
//! * The SWARM column names masters found among all machines, not only the filtered ones.
//! * ACTIVE needs a non-empty URL (the original called a running machine without a URL
//!   active when `DOCKER_HOST` was unset).
//! * The Docker version is read from the unversioned `/version` (the original's `/v1.15/`
//!   is refused by current engines).

use crate::cli::tabwriter::TabWriter;
use crate::cli::{CmdError, Command, Context};
use libmachine::dockerclient;
use libmachine::drivers::HostNotRunning;
use libmachine::mcnflag::Flag;
use libmachine::options::{EngineOptions, SwarmOptions};
use libmachine::template::{GoType, Value as TValue};
use libmachine::{Host, State, Store};
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

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
    let timeout = timeout_flag(ctx);
    let quiet = ctx.flags.bool("quiet");
    let format = if quiet {
        None
    } else {
        Some(Format::parse(&ctx.flags.string("format")).map_err(CmdError::new)?)
    };

    let all = load_all(&ctx.store).map_err(CmdError::new)?;
    let masters = swarm_masters(&all.hosts);
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

    let items = host_list_items(hosts, broken, &masters, timeout, true);
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

/// The `-t` flag as a duration (negative counts as zero).
pub(crate) fn timeout_flag(ctx: &Context) -> Duration {
    Duration::from_secs(u64::try_from(ctx.flags.int("timeout")).unwrap_or(0))
}

fn print_out(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`ls | head -1`) is not an error worth a panic.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Every machine of the store: those that load, and the others with their load error.
pub(crate) struct AllHosts {
    /// In directory (bytewise) order.
    pub hosts: Vec<Arc<Host>>,
    /// Name and load error (newlines removed).
    pub broken: Vec<(String, String)>,
}

pub(crate) fn load_all(store: &Store) -> Result<AllHosts, String> {
    let names = store
        .list()
        .map_err(|e| libmachine::fsutil::go_io_error("open", &store.machines_dir(), &e))?;
    let mut all = AllHosts {
        hosts: Vec::with_capacity(names.len()),
        broken: Vec::new(),
    };
    for name in names {
        match store.load(&name) {
            Ok(host) => all.hosts.push(Arc::new(host)),
            Err(e) => all.broken.push((name, e.to_string().replace('\n', " "))),
        }
    }
    Ok(all)
}

/// One row of the listing; its JSON form is what `--format` templates see.
#[derive(Debug, Clone, Default)]
pub(crate) struct Item {
    pub name: String,
    pub active: String,
    pub active_host: bool,
    pub active_swarm: bool,
    pub driver_name: String,
    pub state: State,
    pub url: String,
    pub swarm_options: Option<SwarmOptions>,
    pub swarm: String,
    pub engine_options: Option<EngineOptions>,
    pub error: String,
    pub docker_version: String,
    pub response_time: Duration,
}

impl Item {
    fn to_value(&self) -> Value {
        json!({
            "Name": self.name,
            "Active": self.active,
            "ActiveHost": self.active_host,
            "ActiveSwarm": self.active_swarm,
            "DriverName": self.driver_name,
            "State": self.state.as_str(),
            "URL": self.url,
            "SwarmOptions": self.swarm_options,
            "Swarm": self.swarm,
            "EngineOptions": self.engine_options,
            "Error": self.error,
            "DockerVersion": self.docker_version,
            "ResponseTime": go_duration(self.response_time),
        })
    }

    fn timed_out(name: String, driver_name: String, timeout: Duration) -> Item {
        Item {
            name,
            driver_name,
            state: State::Timeout,
            response_time: timeout,
            ..Default::default()
        }
    }

    fn broken(name: String, error: String) -> Item {
        Item {
            name,
            driver_name: "not found".into(),
            state: State::Error,
            error,
            ..Default::default()
        }
    }
}

/// Discovery URL -> name of its master (the last one in directory order wins).
pub(crate) fn swarm_masters(hosts: &[Arc<Host>]) -> HashMap<String, String> {
    hosts
        .iter()
        .filter(|h| h.options.swarm.master)
        .map(|h| (h.options.swarm.discovery.clone(), h.name.clone()))
        .collect()
}

/// The name of the master of a machine's swarm ("" when it has none).
fn master_of<'a>(swarm: &SwarmOptions, masters: &'a HashMap<String, String>) -> &'a str {
    if swarm.discovery.is_empty() {
        return "";
    }
    masters
        .get(&swarm.discovery)
        .map(String::as_str)
        .unwrap_or("")
}

/// Query every machine in parallel, each within `timeout`, and build the sorted rows
/// (broken machines included). `query_docker` = false skips the Docker version query
/// (`active` does not show it).
pub(crate) fn host_list_items(
    hosts: Vec<Arc<Host>>,
    broken: Vec<(String, String)>,
    masters: &HashMap<String, String>,
    timeout: Duration,
    query_docker: bool,
) -> Vec<Item> {
    let deadline = Instant::now() + timeout;
    let docker_host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let slots = each_within(&hosts, deadline, move |host| {
        query_host(host, &docker_host, deadline, query_docker)
    });
    let mut items: Vec<Item> = slots
        .into_iter()
        .zip(&hosts)
        .map(|(slot, host)| {
            slot.unwrap_or_else(|| {
                Item::timed_out(host.name.clone(), host.driver.driver_name(), timeout)
            })
        })
        .collect();
    items.extend(broken.into_iter().map(|(n, e)| Item::broken(n, e)));
    for item in &mut items {
        if let Some(swarm) = &item.swarm_options {
            if !swarm.discovery.is_empty() {
                item.swarm = master_of(swarm, masters).to_string();
                if swarm.master {
                    item.swarm.push_str(" (master)");
                }
            }
        }
    }
    items.sort_by(|a, b| compare_names(&a.name, &b.name));
    items
}

/// The row of one machine: URL (a non-empty URL means Running without asking the
/// driver), else the driver's state; then the Docker version when there is a URL.
fn query_host(host: &Host, docker_host: &str, deadline: Instant, query_docker: bool) -> Item {
    let begin = Instant::now();
    let mut state = State::None;
    let mut docker_version = "Unknown".to_string();
    let mut error: Option<anyhow::Error> = None;
    let url = match host.driver.url() {
        Ok(url) => {
            if url.is_empty() {
                match host.driver.state() {
                    Ok(s) => state = s,
                    Err(e) => error = Some(e),
                }
            } else {
                state = State::Running;
            }
            url
        }
        Err(e) => {
            state = host.driver.state().unwrap_or_default();
            error = Some(e);
            String::new()
        }
    };
    if error.is_none() && !url.is_empty() && query_docker {
        let left = deadline.saturating_duration_since(Instant::now());
        match dockerclient::version(&url, &host.options.auth, left) {
            Ok(v) => docker_version = format!("v{}", v.version),
            Err(e) => {
                error = Some(anyhow::anyhow!("Unable to query docker version: {e}"));
            }
        }
    }
    let error = match error {
        Some(e) if !is_host_not_running(&e) => format!("{e:#}"),
        _ => String::new(),
    };

    let swarm = &host.options.swarm;
    let active_host = state == State::Running && !url.is_empty() && url == docker_host;
    let active_swarm = swarm.master
        && state == State::Running
        && !url.is_empty()
        && to_swarm_url(&url, &swarm_host(swarm)) == docker_host;
    let active = if active_swarm {
        "* (swarm)"
    } else if active_host {
        "*"
    } else {
        "-"
    };
    Item {
        name: host.name.clone(),
        active: active.to_string(),
        active_host,
        active_swarm,
        driver_name: host.driver.driver_name(),
        state,
        url,
        swarm_options: Some(swarm.clone()),
        swarm: String::new(),
        engine_options: Some(host.options.engine.clone()),
        error,
        docker_version,
        response_time: round_to_millis(begin.elapsed()),
    }
}

fn is_host_not_running(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<HostNotRunning>()) || e.to_string() == HostNotRunning.to_string()
}

/// The swarm master's address (the original's default when none is stored).
fn swarm_host(swarm: &SwarmOptions) -> String {
    if swarm.host.is_empty() {
        "tcp://0.0.0.0:3376".to_string()
    } else {
        swarm.host.clone()
    }
}

/// The machine URL with its port replaced by the swarm master's port.
fn to_swarm_url(url: &str, swarm_host: &str) -> String {
    let port = |s: &str| s.rsplit(':').next().unwrap_or_default().to_string();
    url.replacen(
        &format!(":{}", port(url)),
        &format!(":{}", port(swarm_host)),
        1,
    )
}

fn round_to_millis(d: Duration) -> Duration {
    Duration::from_millis(((d.as_micros() + 500) / 1000) as u64)
}

/// Go's `time.Duration.String()`: `0s`, `6ms`, `1.5s`, `1m30s`, `2h0m0s`.
pub(crate) fn go_duration(d: Duration) -> String {
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

/// Natural order of lower-cased names (`n1`, `N2`, `n10`); names equal when lower-cased
/// are ordered bytewise so none is lost (the original collapsed them).
pub(crate) fn compare_names(a: &str, b: &str) -> Ordering {
    natural_cmp(&a.to_lowercase(), &b.to_lowercase()).then_with(|| a.cmp(b))
}

/// Compare runs of digits by value and other runs bytewise.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let both_digits = x.as_bytes()[0].is_ascii_digit() && y.as_bytes()[0].is_ascii_digit();
        let ord = if both_digits {
            let (tx, ty) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            tx.len()
                .cmp(&ty.len())
                .then_with(|| tx.cmp(ty))
                .then_with(|| x.len().cmp(&y.len()))
        } else {
            x.cmp(y)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    for i in 1..=bytes.len() {
        if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit() {
            if start < i {
                out.push(&s[start..i]);
            }
            start = i;
        }
    }
    out
}

/// `--filter` values: same key repeated = OR, different keys = AND.
#[derive(Default)]
struct Filters {
    swarm: Vec<String>,
    driver: Vec<String>,
    state: Vec<String>,
    name: Vec<regex::Regex>,
    /// (key, value) of `label=KEY=VALUE`.
    label: Vec<(String, String)>,
}

impl Filters {
    fn parse(raw: &[String]) -> Result<Filters, String> {
        let mut f = Filters::default();
        for item in raw {
            let Some((key, value)) = item.split_once('=') else {
                return Err("Unsupported filter syntax.".into());
            };
            match key.to_lowercase().as_str() {
                "swarm" => f.swarm.push(value.to_string()),
                "driver" => f.driver.push(value.to_string()),
                "state" => f.state.push(value.to_string()),
                "name" => f
                    .name
                    .push(regex::Regex::new(value).map_err(|e| e.to_string())?),
                "label" => match value.split_once('=') {
                    Some((k, v)) => f.label.push((k.to_string(), v.to_string())),
                    None => {
                        return Err(format!(
                            "Unsupported label filter '{value}': expected label=KEY=VALUE"
                        ))
                    }
                },
                other => return Err(format!("Unsupported filter key '{other}'")),
            }
        }
        Ok(f)
    }

    fn is_empty(&self) -> bool {
        self.swarm.is_empty()
            && self.driver.is_empty()
            && self.state.is_empty()
            && self.name.is_empty()
            && self.label.is_empty()
    }

    /// The machines passing every filter, in their order. States are asked of the
    /// drivers in parallel, within `timeout` (a late one counts as `Timeout`).
    fn apply(
        &self,
        hosts: Vec<Arc<Host>>,
        masters: &HashMap<String, String>,
        timeout: Duration,
    ) -> Vec<Arc<Host>> {
        if self.is_empty() {
            return hosts;
        }
        let hosts: Vec<Arc<Host>> = hosts
            .into_iter()
            .filter(|h| {
                self.matches_row(
                    &h.name,
                    &h.driver_name,
                    master_of(&h.options.swarm, masters),
                    h.options.engine.labels.as_deref().unwrap_or_default(),
                )
            })
            .collect();
        if self.state.is_empty() {
            return hosts;
        }
        let states = states_within(&hosts, timeout);
        hosts
            .into_iter()
            .zip(states)
            .filter(|(_, s)| self.matches_state(*s))
            .map(|(h, _)| h)
            .collect()
    }

    /// Every filter but `state`.
    fn matches_row(&self, name: &str, driver: &str, master: &str, labels: &[String]) -> bool {
        let any = |values: &[String], f: &dyn Fn(&str) -> bool| {
            values.is_empty() || values.iter().any(|v| f(v))
        };
        (self.name.is_empty() || self.name.iter().any(|r| r.is_match(name)))
            && any(&self.driver, &|v| equal_fold(v, driver))
            && any(&self.swarm, &|v| equal_fold(v, master))
            && (self.label.is_empty()
                || self
                    .label
                    .iter()
                    .any(|(k, v)| label_value(labels, k).is_some_and(|have| equal_fold(have, v))))
    }

    fn matches_state(&self, state: State) -> bool {
        self.state.is_empty() || self.state.iter().any(|v| equal_fold(v, state.as_str()))
    }

    /// A machine whose config cannot be loaded, judged by what its row shows.
    fn matches_broken(&self, name: &str) -> bool {
        self.matches_row(name, "not found", "", &[]) && self.matches_state(State::Error)
    }
}

/// Go's `strings.EqualFold`, close enough: Unicode lower-case comparison.
fn equal_fold(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

/// The value of engine label `key` (`KEY=VALUE`; a bare `KEY` has the empty value;
/// the last one wins, as in the original's map).
fn label_value<'a>(labels: &'a [String], key: &str) -> Option<&'a str> {
    labels
        .iter()
        .rev()
        .map(|l| l.split_once('=').unwrap_or((l.as_str(), "")))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Each machine's driver state, asked in parallel; `Timeout` when not known in time,
/// `None` (with a warning on stderr) when the driver fails.
fn states_within(hosts: &[Arc<Host>], timeout: Duration) -> Vec<State> {
    let ask = |host: &Host| match host.driver.state() {
        Ok(s) => s,
        Err(e) => {
            libmachine::log::error(&format!("{e:#}"));
            State::None
        }
    };
    each_within(hosts, Instant::now() + timeout, ask)
        .into_iter()
        .map(|state| state.unwrap_or(State::Timeout))
        .collect()
}

/// Run `job` for every host, each on a thread of its own, and keep what is done by
/// `deadline` (`None`: not done in time; its thread is left to finish on its own). A
/// host whose thread cannot be started is asked on this thread.
fn each_within<T, F>(hosts: &[Arc<Host>], deadline: Instant, job: F) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: Fn(&Host) -> T + Send + Sync + 'static,
{
    let job = Arc::new(job);
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    let mut results: Vec<Option<T>> = hosts.iter().map(|_| None).collect();
    let mut pending = 0usize;
    for (i, host) in hosts.iter().enumerate() {
        let (shared, tx, shared_job) = (Arc::clone(host), tx.clone(), Arc::clone(&job));
        let spawned = std::thread::Builder::new().spawn(move || {
            let _ = tx.send((i, shared_job(&shared)));
        });
        match spawned {
            Ok(_) => pending += 1,
            Err(e) => {
                libmachine::debug!("could not start a thread for {}: {e}", host.name);
                results[i] = Some(job(host));
            }
        }
    }
    drop(tx);
    while pending > 0 {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok((i, result)) => {
                results[i] = Some(result);
                pending -= 1;
            }
            Err(_) => break,
        }
    }
    results
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
            .render_strict_into(out, &item.to_value())
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
    fn natural_order() {
        let mut names = vec!["n10", "N2", "n1", "a", "n1b", "N1", "web-01", "web-1"];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(
            names,
            vec!["a", "N1", "n1", "n1b", "N2", "n10", "web-1", "web-01"]
        );
    }

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

    #[test]
    fn swarm_url() {
        assert_eq!(
            to_swarm_url("tcp://1.2.3.4:2376", "tcp://0.0.0.0:3376"),
            "tcp://1.2.3.4:3376"
        );
    }

    #[test]
    fn filter_errors() {
        let parse =
            |v: &[&str]| Filters::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).err();
        assert_eq!(parse(&["foo"]).unwrap(), "Unsupported filter syntax.");
        assert_eq!(parse(&["Foo=1"]).unwrap(), "Unsupported filter key 'foo'");
        assert!(parse(&["label=app"]).unwrap().contains("label=KEY=VALUE"));
        assert!(parse(&["name=["]).is_some());
        assert!(parse(&["NAME=x", "label=a=b=c"]).is_none());
    }

    #[test]
    fn labels() {
        let labels = vec![
            "app=Web".to_string(),
            "bare".to_string(),
            "app=db".to_string(),
        ];
        assert_eq!(label_value(&labels, "app"), Some("db"));
        assert_eq!(label_value(&labels, "bare"), Some(""));
        assert_eq!(label_value(&labels, "x"), None);
    }
}
