//! One module per subcommand.

pub mod setup;
