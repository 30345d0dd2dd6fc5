//! Which shards to read, and from where: pure, fed the shard listings as they come. Every
//! shard is read once; a child only after its parents, which keeps each key's order.

use std::collections::HashMap;

use crate::aws::kinesis::{ShardInfo, StartAt};

/// `a >= b` for Kinesis sequence numbers (decimal strings too long for any integer type).
fn sequence_ge(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    (a.len(), a) >= (b.len(), b)
}

/// Whether a closed shard has been read to its end. Kinesis says so with no next iterator;
/// some emulators never do, so reaching the shard's last sequence number counts too.
pub(super) fn read_to_end(ending: Option<&str>, last_read: Option<&str>) -> bool {
    ending.is_some_and(|end| sequence_ge(last_read.unwrap_or("0"), end))
}

#[derive(Debug, Clone, PartialEq)]
enum ShardState {
    /// Known, to be read from here once its parents are done.
    Waiting(StartAt),
    Reading,
    Done,
}

/// Decides which shards to read as listings come in: every shard once, a child only after
/// its parents (when they are still listed), and from where.
#[derive(Debug)]
pub(super) struct Scheduler {
    from: StartAt,
    first: bool,
    shards: HashMap<String, ShardState>,
}

impl Scheduler {
    /// A scheduler whose first listing starts at `from`.
    pub(super) fn new(from: StartAt) -> Self {
        Self {
            from,
            first: true,
            shards: HashMap::new(),
        }
    }

    /// Take a listing; returns the shards to start reading now, with their start.
    pub(super) fn update(&mut self, listing: &[ShardInfo]) -> Vec<(ShardInfo, StartAt)> {
        for s in listing {
            if self.shards.contains_key(&s.id) {
                continue;
            }
            let state = if !self.first {
                // A shard that appeared while we read holds nothing we have seen: all of it.
                ShardState::Waiting(StartAt::TrimHorizon)
            } else if self.from == StartAt::Latest && s.ending_sequence.is_some() {
                // Closed before we started: nothing will ever be written there again.
                ShardState::Done
            } else {
                ShardState::Waiting(self.from.clone())
            };
            self.shards.insert(s.id.clone(), state);
        }
        self.first = false;
        let listed: HashMap<&str, &ShardInfo> =
            listing.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut start = Vec::new();
        for s in listing {
            let Some(ShardState::Waiting(from)) = self.shards.get(&s.id).cloned() else {
                continue;
            };
            // A parent no longer listed has expired: nothing to wait for.
            let parents_done = s.parents.iter().all(|p| {
                !listed.contains_key(p.as_str())
                    || matches!(self.shards.get(p), Some(ShardState::Done))
            });
            if parents_done {
                self.shards.insert(s.id.clone(), ShardState::Reading);
                start.push((s.clone(), from));
            }
        }
        start
    }

    /// A shard was read to its end.
    pub(super) fn finished(&mut self, id: &str) {
        self.shards.insert(id.to_owned(), ShardState::Done);
    }

    /// How many shards are being read.
    pub(super) fn reading(&self) -> usize {
        self.shards
            .values()
            .filter(|s| **s == ShardState::Reading)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], ending: Option<&str>) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            ending_sequence: ending.map(str::to_owned),
        }
    }

    fn ids(started: &[(ShardInfo, StartAt)]) -> Vec<&str> {
        started.iter().map(|(s, _)| s.id.as_str()).collect()
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_ge("10", "9"));
        assert!(!sequence_ge("9", "10"));
        assert!(sequence_ge("0049", "49"));
        assert!(read_to_end(Some("0"), None));
        assert!(!read_to_end(Some("5"), Some("4")));
        assert!(!read_to_end(None, Some("4")));
    }

    #[test]
    fn latest_skips_closed_shards_and_children_wait_for_parents() {
        let mut s = Scheduler::new(StartAt::Latest);
        let listing = [
            shard("p", &[], Some("100")),
            shard("a", &["p"], None),
            shard("b", &["p"], None),
        ];
        let started = s.update(&listing);
        assert_eq!(ids(&started), ["a", "b"], "the closed parent is skipped");
        assert!(started.iter().all(|(_, at)| *at == StartAt::Latest));

        let mut s = Scheduler::new(StartAt::TrimHorizon);
        assert_eq!(
            ids(&s.update(&listing)),
            ["p"],
            "children wait for the parent"
        );
        assert!(s.update(&listing).is_empty(), "nothing twice");
        s.finished("p");
        let next = s.update(&listing);
        assert_eq!(ids(&next), ["a", "b"]);
        assert!(next.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
    }

    #[test]
    fn shards_that_appear_later_are_read_from_their_start() {
        let mut s = Scheduler::new(StartAt::Latest);
        assert_eq!(ids(&s.update(&[shard("0", &[], None)])), ["0"]);
        // A split: the parent is still being read, so the children wait.
        let split = [
            shard("0", &[], Some("7")),
            shard("1", &["0"], None),
            shard("2", &["0"], None),
        ];
        assert!(s.update(&split).is_empty());
        s.finished("0");
        let started = s.update(&split);
        assert_eq!(ids(&started), ["1", "2"]);
        assert!(started.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
        // A merge: it waits for the parent still read, not for one expired from the listing.
        let merged = [
            shard("0", &[], Some("7")),
            shard("1", &["0"], Some("9")),
            shard("2", &["0"], None),
            shard("3", &["1", "gone"], None),
        ];
        assert!(s.update(&merged).is_empty(), "parent 1 is still being read");
        s.finished("1");
        assert_eq!(ids(&s.update(&merged)), ["3"]);
    }
}
