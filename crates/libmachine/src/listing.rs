//! The listing behind `ls` and `active`: every machine of the store asked for its URL,
//! state and Docker version in parallel, within a timeout, as sorted rows; and the
//! `--filter` conditions that pick the machines.
//!
//! The machines are asked in parallel (a few threads, and a thread each for those that
//! keep the others waiting); what is not done when the timeout expires becomes a
//! `Timeout` row. The threads are detached, not scoped: a driver call that
//! ignores timeouts (a 15 s TCP probe, a plugin that hangs) cannot hold the listing past
//! the deadline; the process exits without it.
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
//! * The `state` filter asks drivers within the timeout (`Timeout` when late).
//! * The SWARM column names masters found among all machines, not only the filtered ones.
//! * ACTIVE needs a non-empty URL (the original called a running machine without a URL
//!   active when `DOCKER_HOST` was unset).
//! * The Docker version is read from the unversioned `/version` (the original's `/v1.15/`
//!   is refused by current engines).

use crate::dockerclient;
use crate::drivers::HostNotRunning;
use crate::fsutil::go_io_error;
use crate::host::Host;
use crate::options::{EngineOptions, SwarmOptions};
use crate::state::State;
use crate::store::Store;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Every machine of the store: those that load, and the others with their load error.
pub struct AllHosts {
    /// In directory (bytewise) order.
    pub hosts: Vec<Arc<Host>>,
    /// Name and load error (newlines removed).
    pub broken: Vec<(String, String)>,
}

/// The machines folder could not be read (worded as Go's `open DIR: REASON`).
#[derive(Debug, thiserror::Error)]
#[error("{}", go_io_error("open", .dir, .error))]
pub struct UnreadableStore {
    pub dir: PathBuf,
    pub error: std::io::Error,
}

pub fn load_all(store: &Store) -> Result<AllHosts, UnreadableStore> {
    let names = store.list().map_err(|error| UnreadableStore {
        dir: store.machines_dir(),
        error,
    })?;
    let mut all = AllHosts {
        hosts: Vec::with_capacity(names.len()),
        broken: Vec::new(),
    };
    for (name, loaded) in names.iter().zip(load_each(store, &names)) {
        match loaded {
            Ok(host) => all.hosts.push(Arc::new(host)),
            Err(e) => all
                .broken
                .push((name.clone(), e.to_string().replace('\n', " "))),
        }
    }
    Ok(all)
}

/// Below this many machines one thread loads them all: threads cost more than they save.
const LOAD_ALONE: usize = 16;

/// Every machine of `names` loaded, in order; a large store on every core at once.
fn load_each(store: &Store, names: &[String]) -> Vec<Result<Host, crate::store::StoreError>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if names.len() < LOAD_ALONE || threads < 2 {
        return names.iter().map(|n| store.load(n)).collect();
    }
    let chunk = names.len().div_ceil(threads);
    std::thread::scope(|s| {
        let workers: Vec<_> = names
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(|n| store.load(n)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("loading machines"))
            .collect()
    })
}

/// One row of the listing (Go's `HostListItem`).
#[derive(Debug, Clone, Default)]
pub struct Item {
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

/// Why no machine is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoActiveHost {
    /// None is, but some did not answer in time.
    #[error("timeout")]
    Timeout,
    #[error("No active host found")]
    NotFound,
}

/// The first active machine of the rows (URL or swarm URL equal to `$DOCKER_HOST`,
/// running).
pub fn active(items: &[Item]) -> Result<&Item, NoActiveHost> {
    if let Some(item) = items.iter().find(|i| i.active_host || i.active_swarm) {
        return Ok(item);
    }
    if items.iter().any(|i| i.state == State::Timeout) {
        Err(NoActiveHost::Timeout)
    } else {
        Err(NoActiveHost::NotFound)
    }
}

/// Discovery URL -> name of its master (the last one in directory order wins).
pub fn swarm_masters(hosts: &[Arc<Host>]) -> HashMap<String, String> {
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
/// (broken machines included). A machine is active when its URL (or swarm master URL)
/// is `docker_host` (`$DOCKER_HOST`). `query_docker` = false skips the Docker version
/// query (`active` does not show it).
pub fn host_list_items(
    hosts: Vec<Arc<Host>>,
    broken: Vec<(String, String)>,
    masters: &HashMap<String, String>,
    timeout: Duration,
    docker_host: &str,
    query_docker: bool,
) -> Vec<Item> {
    let deadline = Instant::now() + timeout;
    let docker_host = docker_host.to_string();
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

/// The plugin driver turns a plugin's "Host is not running" into the type where it arrives.
fn is_host_not_running(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<HostNotRunning>())
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

/// Natural order of lower-cased names (`n1`, `N2`, `n10`); names equal when lower-cased
/// are ordered bytewise so none is lost (the original collapsed them).
pub fn compare_names(a: &str, b: &str) -> Ordering {
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

/// Why a `--filter` value is refused.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    /// Not `KEY=VALUE`.
    #[error("Unsupported filter syntax.")]
    Syntax,
    /// A key other than swarm, driver, state, name and label (lower-cased).
    #[error("Unsupported filter key '{0}'")]
    Key(String),
    /// A `label=` value that is not `KEY=VALUE`.
    #[error("Unsupported label filter '{0}': expected label=KEY=VALUE")]
    Label(String),
    /// A `name=` value that is not a regular expression.
    #[error("{0}")]
    Name(regex::Error),
}

/// `--filter` values: same key repeated = OR, different keys = AND.
#[derive(Default)]
pub struct Filters {
    swarm: Vec<String>,
    driver: Vec<String>,
    state: Vec<String>,
    name: Vec<regex::Regex>,
    /// (key, value) of `label=KEY=VALUE`.
    label: Vec<(String, String)>,
}

impl Filters {
    /// Parse `KEY=VALUE` conditions.
    pub fn parse(raw: &[String]) -> Result<Filters, FilterError> {
        let mut f = Filters::default();
        for item in raw {
            let Some((key, value)) = item.split_once('=') else {
                return Err(FilterError::Syntax);
            };
            match key.to_lowercase().as_str() {
                "swarm" => f.swarm.push(value.to_string()),
                "driver" => f.driver.push(value.to_string()),
                "state" => f.state.push(value.to_string()),
                "name" => f
                    .name
                    .push(regex::Regex::new(value).map_err(FilterError::Name)?),
                "label" => match value.split_once('=') {
                    Some((k, v)) => f.label.push((k.to_string(), v.to_string())),
                    None => return Err(FilterError::Label(value.to_string())),
                },
                other => return Err(FilterError::Key(other.to_string())),
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
    pub fn apply(
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
    pub fn matches_broken(&self, name: &str) -> bool {
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
            crate::log::error(&format!("{e:#}"));
            State::None
        }
    };
    each_within(hosts, Instant::now() + timeout, ask)
        .into_iter()
        .map(|state| state.unwrap_or(State::Timeout))
        .collect()
}

/// How long the asking may go without an answer before every machine still waiting gets
/// a thread of its own.
const STALL: Duration = Duration::from_millis(2);

/// Run `job` for every host and keep what is done by `deadline` (`None`: not done in
/// time; its thread is left to finish on its own). A few threads (two per core) take
/// the hosts in turn, which is all that answers at once need (a refused port, a local
/// plugin); when none has answered for [`STALL`], every host still waiting gets a
/// thread of its own, so a driver call that hangs holds only itself. A host no thread
/// can be started for is asked on this thread.
fn each_within<T, F>(hosts: &[Arc<Host>], deadline: Instant, job: F) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: Fn(&Host) -> T + Send + Sync + 'static,
{
    let job = Arc::new(job);
    let hosts: Arc<Vec<Arc<Host>>> = Arc::new(hosts.to_vec());
    let queue = Arc::new(Mutex::new((0..hosts.len()).collect::<VecDeque<usize>>()));
    let (tx, rx) = mpsc::channel::<(usize, T)>();
    let mut results: Vec<Option<T>> = hosts.iter().map(|_| None).collect();
    let mut done = 0usize;
    // A worker asks hosts from the queue until it is empty; false if it cannot start.
    let start_worker = || {
        let (hosts, queue, job, tx) = (hosts.clone(), queue.clone(), job.clone(), tx.clone());
        std::thread::Builder::new()
            .spawn(move || loop {
                let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                let Some(i) = next else { break };
                if tx.send((i, job(&hosts[i]))).is_err() {
                    break;
                }
            })
            .map_err(|e| crate::debug!("could not start a thread: {e}"))
            .is_ok()
    };
    let queued =
        |queue: &Mutex<VecDeque<usize>>| queue.lock().unwrap_or_else(|e| e.into_inner()).len();
    let ask_here = |results: &mut Vec<Option<T>>| {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        next.map(|i| results[i] = Some(job(&hosts[i])))
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for _ in 0..hosts.len().min(2 * cores) {
        if !start_worker() && ask_here(&mut results).is_some() {
            done += 1;
        }
    }
    while done < hosts.len() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left.min(STALL)) {
            Ok((i, result)) => {
                results[i] = Some(result);
                done += 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                for _ in 0..queued(&queue) {
                    if !start_worker() && ask_here(&mut results).is_some() {
                        done += 1;
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results
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
    fn swarm_url() {
        assert_eq!(
            to_swarm_url("tcp://1.2.3.4:2376", "tcp://0.0.0.0:3376"),
            "tcp://1.2.3.4:3376"
        );
    }

    #[test]
    fn filter_errors() {
        let parse = |v: &[&str]| {
            Filters::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .err()
                .map(|e| e.to_string())
        };
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

    #[test]
    fn active_rows() {
        let row = |name: &str, state: State, active_host: bool| Item {
            name: name.into(),
            state,
            active_host,
            ..Default::default()
        };
        let rows = [
            row("a", State::Timeout, false),
            row("b", State::Running, true),
        ];
        assert_eq!(active(&rows).unwrap().name, "b");
        assert_eq!(active(&rows[..1]).unwrap_err(), NoActiveHost::Timeout);
        assert_eq!(
            active(&[row("c", State::Running, false)]).unwrap_err(),
            NoActiveHost::NotFound
        );
    }
}
