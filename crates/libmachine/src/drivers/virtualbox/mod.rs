//! The `virtualbox` driver of the original: its create flags are registered; the driver
//! itself is not implemented yet.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("virtualbox", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![]
}
