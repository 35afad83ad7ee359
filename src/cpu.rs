//! A bounded pool for CPU-heavy work — sanitising bodies, Argon2, shaping cards — so that it
//! never runs on the async workers that answer readers, and never takes every core at once.
//! May import nothing of Khobor's.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// Runs closures on the blocking thread pool, at most `permits` at a time.
#[derive(Clone, Debug)]
pub struct CpuPool {
    permits: Arc<Semaphore>,
}

impl CpuPool {
    pub fn new(permits: usize) -> CpuPool {
        CpuPool {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// One fewer than the machine's cores (at least one): the remaining core keeps answering
    /// readers whatever the newsroom sends.
    pub fn for_this_machine() -> CpuPool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CpuPool::new(cores.saturating_sub(1))
    }

    /// Runs `work` off the async workers once a permit is free. A panic in `work` is resumed
    /// here, as if it had run inline.
    pub async fn run<T, F>(&self, work: F) -> T
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the CPU pool's semaphore is never closed");
        match tokio::task::spawn_blocking(work).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_calling_thread_and_permits_bound_it() {
        let pool = CpuPool::new(1);
        let here = std::thread::current().id();
        let there = pool.run(|| std::thread::current().id()).await;
        assert_ne!(here, there);
        // With one permit, a second job waits for the first: both see the counter alone.
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let jobs = (0..4).map(|_| {
            let busy = Arc::clone(&busy);
            let pool = pool.clone();
            async move {
                pool.run(move || {
                    let n = busy.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    std::thread::yield_now();
                    busy.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    n
                })
                .await
            }
        });
        let seen = futures_util::future::join_all(jobs).await;
        assert!(seen.iter().all(|n| *n == 0), "{seen:?}");
    }
}
