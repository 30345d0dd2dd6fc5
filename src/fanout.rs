//! Many calls at once, but never more than a bound: the descendants' configurations of a wide
//! district, or the Buzz halves of many domains, go out at most `limit` at a time (Buzz rate
//! limits a login), and the answers come back in the order the calls were given.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// The most Buzz requests one fan-out keeps in flight.
pub const BUZZ_IN_FLIGHT: usize = 8;

/// Run `futures` with at most `limit` (at least 1) polled at once; a new one starts as soon as
/// one ends. The outputs are in the input's order. Nothing is spawned: the futures may borrow.
pub async fn bounded<F: Future>(futures: Vec<F>, limit: usize) -> Vec<F::Output> {
    let limit = limit.max(1);
    let mut pending: Vec<Option<Pin<Box<F>>>> =
        futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut out: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    let mut next = 0;
    let mut running: Vec<usize> = Vec::new();
    std::future::poll_fn(|cx| {
        while running.len() < limit && next < pending.len() {
            running.push(next);
            next += 1;
        }
        let mut i = 0;
        while i < running.len() {
            let idx = running[i];
            let ready = match pending[idx].as_mut() {
                Some(f) => f.as_mut().poll(cx),
                None => Poll::Pending,
            };
            if let Poll::Ready(v) = ready {
                out[idx] = Some(v);
                pending[idx] = None;
                running.swap_remove(i);
                if next < pending.len() {
                    running.push(next);
                    next += 1;
                }
            } else {
                i += 1;
            }
        }
        if running.is_empty() && next >= pending.len() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn never_more_than_the_bound_and_the_order_is_kept() {
        let now = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let calls: Vec<_> = (0..40u64)
            .map(|i| {
                let (now, most) = (&now, &most);
                async move {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5 + (i * 7) % 11)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    i
                }
            })
            .collect();
        let started = std::time::Instant::now();
        let out = bounded(calls, BUZZ_IN_FLIGHT).await;
        assert_eq!(out, (0..40).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), BUZZ_IN_FLIGHT);
        // 40 calls of 5-15 ms, 8 at a time: about 5 rounds, far from 40 in a row.
        assert!(started.elapsed() < Duration::from_millis(300));
    }

    #[tokio::test]
    async fn nothing_and_a_zero_bound_are_fine() {
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(bounded(none, 8).await.is_empty());
        let one = vec![std::future::ready(1), std::future::ready(2)];
        assert_eq!(bounded(one, 0).await, [1, 2]);
    }
}
