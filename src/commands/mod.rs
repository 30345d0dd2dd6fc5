//! One module per subcommand.

pub mod check;
pub mod policy;
pub mod setup;
pub mod tail;
pub mod teardown;
