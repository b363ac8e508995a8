//! A driver for the orchestration's tests (create, start, stop, restart, kill, rm), as the
//! original's `fakedriver`: the test scripts the machine's states and failures and reads
//! back the calls made on it. Built for libmachine's unit tests only, so `create -d fake`
//! does not exist.
//!
//! The driver's JSON holds only the number of its [`Fake`], so a machine saved to a store
//! and loaded again is driven by the same script.

use super::{BaseDriver, Capabilities, Driver, DriverSpec, HostNotRunning};
use crate::mcnflag::DriverOptions;
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

pub static SPEC: DriverSpec = DriverSpec {
    name: "fake",
    create_flags: Vec::new,
    new: |machine_name, store_path| Fake::new(State::None).driver(machine_name, store_path),
    load: |json| Ok(Box::new(FakeDriver::from_json(json)?)),
    implemented: true,
};

/// A call made on the driver, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    PreCreateCheck,
    Create,
    State,
    Start,
    Stop,
    Restart,
    Kill,
    Remove,
}

/// The test's handle on one fake machine: what it answers and what it was asked.
#[derive(Clone)]
pub struct Fake {
    id: usize,
    machine: Arc<Mutex<Machine>>,
}

struct Machine {
    state: State,
    /// What `state` answers before `state` itself: a machine still starting or stopping.
    on_the_way: VecDeque<State>,
    /// How many answers of Starting or Stopping each change takes to show.
    polls_per_change: usize,
    failures: HashMap<Call, String>,
    ignored: HashSet<Call>,
    calls: Vec<Call>,
    capabilities: Capabilities,
    /// What `ssh_hostname` answers instead of the IP (an empty address).
    ssh_hostname: Option<String>,
}

/// Every fake made in this process, by number: how a loaded driver finds its script.
static FAKES: Mutex<Vec<Fake>> = Mutex::new(Vec::new());

impl Fake {
    /// A machine in `state`; every action succeeds and shows at once.
    pub fn new(state: State) -> Fake {
        let mut fakes = FAKES.lock().unwrap();
        let fake = Fake {
            id: fakes.len(),
            machine: Arc::new(Mutex::new(Machine {
                state,
                on_the_way: VecDeque::new(),
                polls_per_change: 0,
                failures: HashMap::new(),
                ignored: HashSet::new(),
                calls: Vec::new(),
                capabilities: Capabilities { ssh: true },
                ssh_hostname: None,
            })),
        };
        fakes.push(fake.clone());
        fake
    }

    /// `call` fails with `error`.
    pub fn failing(self, call: Call, error: &str) -> Fake {
        self.machine().failures.insert(call, error.to_string());
        self
    }

    /// `call` succeeds but changes nothing (a stop the machine ignores).
    pub fn ignoring(self, call: Call) -> Fake {
        self.machine().ignored.insert(call);
        self
    }

    /// Each change shows only after `polls` answers of Starting (or Stopping).
    pub fn slow(self, polls: usize) -> Fake {
        self.machine().polls_per_change = polls;
        self
    }

    /// A machine not reached over SSH, as the none driver's.
    pub fn without_ssh(self) -> Fake {
        self.machine().capabilities.ssh = false;
        self
    }

    /// A machine whose driver gives `host` as its SSH address (an empty one, as 0.16.2's
    /// `ci-test` plugin).
    pub fn ssh_hostname(self, host: &str) -> Fake {
        self.machine().ssh_hostname = Some(host.to_string());
        self
    }

    /// A driver for this machine, named `machine_name`, in the store at `store_path`.
    pub fn driver(&self, machine_name: &str, store_path: &str) -> Box<dyn Driver> {
        Box::new(FakeDriver {
            base: BaseDriver::new(machine_name, store_path),
            own: Own { fake: self.id },
            fake: self.clone(),
        })
    }

    /// The calls made so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.machine().calls.clone()
    }

    /// How many times the state was asked.
    pub fn polls(&self) -> usize {
        self.calls().iter().filter(|c| **c == Call::State).count()
    }

    /// The state the machine is in (or heading to), without recording a call.
    pub fn state(&self) -> State {
        self.machine().state
    }

    fn machine(&self) -> MutexGuard<'_, Machine> {
        self.machine.lock().unwrap()
    }

    /// Record `call`; its scripted failure if any, else whether it acts.
    fn record(&self, call: Call) -> Result<bool> {
        let mut m = self.machine();
        m.calls.push(call);
        if let Some(error) = m.failures.get(&call) {
            bail!("{error}");
        }
        Ok(!m.ignored.contains(&call))
    }

    /// Run an action that brings the machine to `target`.
    fn act(&self, call: Call, target: State) -> Result<()> {
        if self.record(call)? {
            let mut m = self.machine();
            let passing = match target {
                State::Running => State::Starting,
                _ => State::Stopping,
            };
            m.on_the_way = std::iter::repeat_n(passing, m.polls_per_change).collect();
            m.state = target;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct Own {
    #[serde(rename = "Fake")]
    fake: usize,
}

pub struct FakeDriver {
    base: BaseDriver,
    own: Own,
    fake: Fake,
}

impl FakeDriver {
    fn from_json(json: Value) -> Result<FakeDriver> {
        let (base, own): (BaseDriver, Own) = super::split_driver_json(json)?;
        let fake = FAKES.lock().unwrap().get(own.fake).cloned();
        let fake = fake.ok_or_else(|| anyhow!("no fake machine {}", own.fake))?;
        Ok(FakeDriver { base, own, fake })
    }
}

impl Driver for FakeDriver {
    super::base_and_json!("fake");
    fn set_config_from_flags(&mut self, _opts: &DriverOptions) -> Result<()> {
        Ok(())
    }
    fn capabilities(&self) -> Capabilities {
        self.fake.machine().capabilities
    }
    fn pre_create_check(&self) -> Result<()> {
        self.fake.record(Call::PreCreateCheck).map(|_| ())
    }
    fn create(&mut self) -> Result<()> {
        self.fake.act(Call::Create, State::Running)
    }
    fn state(&self) -> Result<State> {
        self.fake.record(Call::State)?;
        let mut m = self.fake.machine();
        Ok(m.on_the_way.pop_front().unwrap_or(m.state))
    }
    fn url(&self) -> Result<String> {
        if self.fake.state() != State::Running {
            return Err(HostNotRunning.into());
        }
        Ok(format!("tcp://{}:2376", self.ip()?))
    }
    fn ssh_hostname(&self) -> Result<String> {
        let scripted = self.fake.machine().ssh_hostname.clone();
        scripted.map_or_else(|| self.ip(), Ok)
    }
    fn start(&mut self) -> Result<()> {
        self.fake.act(Call::Start, State::Running)
    }
    fn stop(&mut self) -> Result<()> {
        self.fake.act(Call::Stop, State::Stopped)
    }
    fn restart(&mut self) -> Result<()> {
        self.fake.act(Call::Restart, State::Running)
    }
    fn kill(&mut self) -> Result<()> {
        self.fake.act(Call::Kill, State::Stopped)
    }
    fn remove(&mut self) -> Result<()> {
        self.fake.act(Call::Remove, State::None)
    }
}
