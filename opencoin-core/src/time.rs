//! Time as the ledger sees it: whole seconds, passed in with every operation.
//!
//! The ledger never reads a clock. A [`Timestamp`] is a count of seconds
//! since 1970-01-01T00:00:00Z (leap seconds ignored, as in Unix time), and a
//! [`Period`] is a positive number of seconds written in files as a count
//! and a unit:
//!
//! | unit | meaning |
//! |---|---|
//! | `s` | second |
//! | `m` | minute, 60 s |
//! | `h` | hour, 3,600 s |
//! | `d` | day, 86,400 s |
//! | `w` | week, 7 days |
//! | `y` | year, exactly 365 days (no calendar, so no leap years) |
//!
//! So `"90d"` is 7,776,000 seconds and `"1y"` is 31,536,000 seconds. Months
//! are not offered because they have no fixed length; write `"30d"`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Seconds in a minute.
pub const SECONDS_PER_MINUTE: u64 = 60;
/// Seconds in an hour.
pub const SECONDS_PER_HOUR: u64 = 3_600;
/// Seconds in a day.
pub const SECONDS_PER_DAY: u64 = 86_400;
/// Seconds in a week.
pub const SECONDS_PER_WEEK: u64 = 7 * SECONDS_PER_DAY;
/// Seconds in a year, which OpenCoin defines as exactly 365 days.
pub const SECONDS_PER_YEAR: u64 = 365 * SECONDS_PER_DAY;

/// A moment, in whole seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Seconds since the epoch.
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// This moment moved forward by `period`, or `None` past `u64::MAX`.
    pub fn checked_add(self, period: Period) -> Option<Timestamp> {
        self.0.checked_add(period.seconds()).map(Timestamp)
    }

    /// Whole seconds from `earlier` to this moment, or zero if `earlier` is
    /// later.
    pub fn seconds_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", self.0)
    }
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{text:?} is not a period (expected a positive count and a unit: s, m, h, d, w or y)")]
pub struct PeriodError {
    /// The text as given.
    pub text: String,
}

/// A positive span of time in whole seconds, such as a demurrage period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period(u64);

impl Period {
    /// A period of `seconds` seconds, or `None` for zero.
    pub fn from_seconds(seconds: u64) -> Option<Period> {
        (seconds > 0).then_some(Period(seconds))
    }

    /// The length in seconds; always at least one.
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// Parses `"90d"`, `"1y"`, `"12h"` and the like (see the module docs).
    ///
    /// # Errors
    ///
    /// [`PeriodError`] for an empty or zero count, an unknown unit, or a
    /// length that does not fit in `u64` seconds.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let refuse = || PeriodError { text: text.to_owned() };
        let split = text.len().checked_sub(1).filter(|&at| text.is_char_boundary(at));
        let (count, unit) = split.map(|at| text.split_at(at)).ok_or_else(refuse)?;
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let count: u64 = count.parse().map_err(|_| refuse())?;
        let unit_seconds = match unit {
            "s" => 1,
            "m" => SECONDS_PER_MINUTE,
            "h" => SECONDS_PER_HOUR,
            "d" => SECONDS_PER_DAY,
            "w" => SECONDS_PER_WEEK,
            "y" => SECONDS_PER_YEAR,
            _ => return Err(refuse()),
        };
        count.checked_mul(unit_seconds).and_then(Period::from_seconds).ok_or_else(refuse)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        Period::parse(text)
    }
}

impl fmt::Display for Period {
    /// Writes the period in the largest unit that divides it exactly, so that
    /// the text parses back to the same period.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [
            (SECONDS_PER_YEAR, 'y'),
            (SECONDS_PER_WEEK, 'w'),
            (SECONDS_PER_DAY, 'd'),
            (SECONDS_PER_HOUR, 'h'),
            (SECONDS_PER_MINUTE, 'm'),
        ];
        for (unit_seconds, unit) in units {
            if self.0.is_multiple_of(unit_seconds) {
                return write!(f, "{}{unit}", self.0 / unit_seconds);
            }
        }
        write!(f, "{}s", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        // Expected seconds computed by hand: 90 * 86,400 = 7,776,000;
        // 365 * 86,400 = 31,536,000; 2 * 604,800 = 1,209,600.
        let rows: &[(&str, Option<u64>)] = &[
            ("90d", Some(7_776_000)),
            ("1y", Some(31_536_000)),
            ("2w", Some(1_209_600)),
            ("12h", Some(43_200)),
            ("30m", Some(1_800)),
            ("45s", Some(45)),
            ("0d", None),
            ("d", None),
            ("", None),
            ("5", None),
            ("5x", None),
            ("-5d", None),
            ("1.5d", None),
            ("99999999999999999999y", None),
            ("1é", None),
        ];
        for &(text, seconds) in rows {
            assert_eq!(Period::parse(text).ok().map(Period::seconds), seconds, "{text:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["90d", "1y", "2w", "12h", "30m", "45s", "25h"] {
            let period = Period::parse(text).unwrap();
            assert_eq!(Period::parse(&period.to_string()).unwrap(), period);
        }
        assert_eq!(Period::parse("14d").unwrap().to_string(), "2w");
    }
}
