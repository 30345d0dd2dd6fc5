//! `buzz-kinesis tail`: print the events arriving in the stream, like `tail -f`. Every shard
//! is read by a task of its own, within Kinesis's read limits (5 GetRecords a second and
//! 2 MB/s per shard; throttling backs off). The shard list is read again every few seconds and
//! whenever a shard ends, so shards made by a reshard or by on-demand scaling are followed:
//! a child shard is read once its parents are done, which keeps each key's order. Each record
//! is decoded as Buzz's envelope (newline-separated JSON objects); anything else is shown raw,
//! never dropped.
//!
//! The rooms: `scheduler` decides which shards to read and from where (pure), `reader` reads
//! them within the limits, `printer` writes what they hold, and `run` is the loop that joins
//! them. The options are validated before any connection, in `spec::TailSpec`.

mod printer;
mod reader;
mod run;
mod scheduler;

pub(crate) use run::run;
