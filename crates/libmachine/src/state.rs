//! Machine states, with the original's names and numbering (plugin protocol order).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum State {
    #[default]
    None,
    Running,
    Paused,
    Saved,
    Stopped,
    Stopping,
    Starting,
    Error,
    Timeout,
}

impl State {
    /// Every state, in the original's numbering (`Running` is 1).
    pub const ALL: [State; 9] = [
        State::None,
        State::Running,
        State::Paused,
        State::Saved,
        State::Stopped,
        State::Stopping,
        State::Starting,
        State::Error,
        State::Timeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::None => "",
            State::Running => "Running",
            State::Paused => "Paused",
            State::Saved => "Saved",
            State::Stopped => "Stopped",
            State::Stopping => "Stopping",
            State::Starting => "Starting",
            State::Error => "Error",
            State::Timeout => "Timeout",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
