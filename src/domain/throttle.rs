//! How failed logins slow further attempts down: pure rules over counts and times (the store
//! counts, the login handler asks). Imports nothing but the Bengali digits.
//!
//! Each account, address and known browser gets a few free failures; after that every further
//! attempt must wait a delay that doubles with each failure, up to a cap. An attempt made
//! while a delay runs is refused without checking the password and without being counted, so
//! an attacker cannot make the delay longer than the cap or keep it going by hammering: the
//! account is open again when the delay ends. On top, a site-wide cap on failures per hour
//! bounds what an attacker rotating addresses can try in all.

/// A progressive delay: `free` failures cost nothing, then `first_secs`, doubling, at most
/// `max_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delay {
    pub free: i64,
    pub first_secs: i64,
    pub max_secs: i64,
}

/// Per account (any address, any browser not known to it).
pub const ACCOUNT: Delay = Delay {
    free: 5,
    first_secs: 30,
    max_secs: 15 * 60,
};

/// Per client address: more free failures, since a newsroom's people may share one address.
pub const ADDRESS: Delay = Delay {
    free: 20,
    first_secs: 30,
    max_secs: 15 * 60,
};

/// Per known browser (its device cookie): its own small allowance, so that a stolen cookie
/// is not a licence to guess.
pub const DEVICE: Delay = Delay {
    free: 5,
    first_secs: 30,
    max_secs: 15 * 60,
};

/// Failures older than this no longer count towards a delay.
pub const WINDOW_SECS: i64 = 24 * 3600;

/// The site-wide cap counts failures over this window.
pub const SITE_WINDOW_SECS: i64 = 3600;

impl Delay {
    /// The wait that `failures` counted failures impose after the last of them (0 while free).
    pub fn after(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = (failures - self.free).min(40) as u32;
        self.first_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.max_secs)
    }

    /// Seconds still to wait at `now`, if a delay is running.
    pub fn remaining(&self, failures: i64, last_failure_at: i64, now: i64) -> Option<i64> {
        let until = last_failure_at.saturating_add(self.after(failures));
        (self.after(failures) > 0 && until > now).then_some(until - now)
    }
}

/// Seconds until the site-wide cap lets failures through again, if it is reached: `failures`
/// in the last hour, and `cap_th_newest_at`, the time of the cap-th newest of them (once it
/// is an hour old, fewer than `cap` remain).
pub fn site_remaining(
    cap: i64,
    failures: i64,
    cap_th_newest_at: Option<i64>,
    now: i64,
) -> Option<i64> {
    if failures < cap {
        return None;
    }
    let at = cap_th_newest_at?;
    Some((at + SITE_WINDOW_SECS - now).max(1))
}

/// "৩০ সেকেন্ড", "২ মিনিট": a wait as the login page says it (minutes rounded up).
pub fn wait_text(secs: i64) -> String {
    let secs = secs.max(1);
    let (n, unit) = if secs < 60 {
        (secs, "সেকেন্ড")
    } else {
        ((secs + 59) / 60, "মিনিট")
    };
    format!(
        "{} {unit}",
        bangla::digits::to_bengali_digits(&n.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_failures_then_doubling_up_to_the_cap() {
        let waits: Vec<i64> = (0..13).map(|n| ACCOUNT.after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ADDRESS.after(19), 0);
        assert_eq!(ADDRESS.after(20), 30);
        assert_eq!(ACCOUNT.after(i64::MAX), 900, "no overflow");
    }

    #[test]
    fn a_delay_runs_from_the_last_failure() {
        let t = 1_700_000_000;
        assert_eq!(ACCOUNT.remaining(4, t, t), None);
        assert_eq!(ACCOUNT.remaining(5, t, t), Some(30));
        assert_eq!(ACCOUNT.remaining(5, t, t + 29), Some(1));
        assert_eq!(ACCOUNT.remaining(5, t, t + 30), None);
        assert_eq!(ACCOUNT.remaining(7, t - 100, t), Some(20));
        // However many failures, the wait never exceeds the cap.
        assert_eq!(ACCOUNT.remaining(1000, t, t), Some(900));
    }

    #[test]
    fn the_site_cap_opens_when_its_oldest_counted_failure_is_an_hour_old() {
        let t = 1_700_000_000;
        assert_eq!(site_remaining(100, 99, Some(t - 10), t), None);
        assert_eq!(site_remaining(100, 100, Some(t - 600), t), Some(3000));
        assert_eq!(site_remaining(100, 150, Some(t - 3600), t), Some(1));
    }

    #[test]
    fn waits_read_in_bengali() {
        assert_eq!(wait_text(30), "৩০ সেকেন্ড");
        assert_eq!(wait_text(61), "২ মিনিট");
        assert_eq!(wait_text(900), "১৫ মিনিট");
        assert_eq!(wait_text(0), "১ সেকেন্ড");
    }
}
