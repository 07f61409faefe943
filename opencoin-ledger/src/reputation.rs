//! Reputation modules: subscribers that turn the event stream into a view
//! of how each account takes part in the community's economy.
//!
//! A module sees every event in order and answers [`ReputationModule::assess`]
//! for any account. The built-in [`ActivityReputation`] scores distinct
//! counterparties and recency, and reports payments and volume beside the
//! score; communities can add their own by implementing the trait.

use std::collections::{BTreeMap, BTreeSet};

use opencoin_core::{AccountId, Timestamp, time::SECONDS_PER_DAY};

use crate::event::{Event, EventKind, Subscriber};

/// An account's standing according to one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// A score from 0 to 100; how it is made is up to the module.
    pub score: u8,
    /// The facts behind the score, for people to read.
    pub facts: Vec<(&'static str, String)>,
}

/// A subscriber that assesses accounts.
pub trait ReputationModule: Subscriber {
    /// The module's name.
    fn name(&self) -> &'static str;

    /// The account's standing as of `now`, or `None` if the module has
    /// never seen it.
    fn assess(&self, account: AccountId, now: Timestamp) -> Option<Assessment>;
}

/// What the activity module knows of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Payments made and received.
    pub payments: u64,
    /// Sum of amounts paid and received, in minor units.
    pub volume: i128,
    /// Accounts paid or paid by.
    pub counterparties: BTreeSet<AccountId>,
    /// The last payment's time.
    pub last_active: Option<Timestamp>,
}

/// The built-in module: scores the breadth and recency of an account's
/// trade (transfers; issues and redemptions are not trade).
///
/// The score is two halves of 50 points, in integer arithmetic so that it
/// is the same everywhere:
/// - breadth: 5 points per distinct counterparty, at most 50;
/// - recency: 50 points if the last payment was within 30 days, falling
///   linearly to 0 at 365 days.
#[derive(Debug, Clone, Default)]
pub struct ActivityReputation {
    accounts: BTreeMap<AccountId, Activity>,
}

impl ActivityReputation {
    /// An empty module.
    pub fn new() -> ActivityReputation {
        ActivityReputation::default()
    }

    /// What the module knows of an account.
    pub fn activity(&self, account: AccountId) -> Option<&Activity> {
        self.accounts.get(&account)
    }

    fn record(
        &mut self,
        account: AccountId,
        counterparty: AccountId,
        minor_units: i128,
        at: Timestamp,
    ) {
        let activity = self.accounts.entry(account).or_default();
        activity.payments += 1;
        activity.volume = activity.volume.saturating_add(minor_units);
        activity.counterparties.insert(counterparty);
        activity.last_active = Some(at);
    }
}

impl Subscriber for ActivityReputation {
    fn on_event(&mut self, event: &Event) {
        if let EventKind::Transferred { from, to, amount, .. } = &event.kind {
            self.record(*from, *to, amount.minor_units(), event.at);
            self.record(*to, *from, amount.minor_units(), event.at);
        }
    }
}

impl ReputationModule for ActivityReputation {
    fn name(&self) -> &'static str {
        "activity"
    }

    fn assess(&self, account: AccountId, now: Timestamp) -> Option<Assessment> {
        let activity = self.accounts.get(&account)?;
        let breadth = (activity.counterparties.len() as u64).saturating_mul(5).min(50);
        let idle_days =
            activity.last_active.map_or(u64::MAX, |last| now.seconds_since(last) / SECONDS_PER_DAY);
        let recency = match idle_days {
            0..=30 => 50,
            31..=364 => 50 * (365 - idle_days) / 335,
            _ => 0,
        };
        Some(Assessment {
            score: u8::try_from(breadth + recency).unwrap_or(100),
            facts: vec![
                ("payments", activity.payments.to_string()),
                ("volume (minor units)", activity.volume.to_string()),
                ("distinct counterparties", activity.counterparties.len().to_string()),
                (
                    "days since last payment",
                    if idle_days == u64::MAX { "never".into() } else { idle_days.to_string() },
                ),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opencoin_core::{Amount, CurrencyCode, TransactionId};

    fn payment(from: u64, to: u64, day: u64) -> Event {
        Event {
            sequence: 0,
            at: Timestamp(day * SECONDS_PER_DAY),
            kind: EventKind::Transferred {
                transaction: TransactionId([0; 32]),
                currency: CurrencyCode::new("VLG").unwrap(),
                from: AccountId(from),
                to: AccountId(to),
                amount: Amount::from_minor_units(100, 2).unwrap(),
            },
        }
    }

    #[test]
    fn score_from_breadth_and_recency() {
        let mut module = ActivityReputation::new();
        for to in 2..=4 {
            module.on_event(&payment(1, to, 10));
        }
        // Three counterparties give 15 points; active today gives 50.
        let today = module.assess(AccountId(1), Timestamp(10 * SECONDS_PER_DAY)).unwrap();
        assert_eq!(today.score, 65);
        // 200 days idle: recency 50 * (365 - 200) / 335 = 24 (integer), so 39.
        let later = module.assess(AccountId(1), Timestamp(210 * SECONDS_PER_DAY)).unwrap();
        assert_eq!(later.score, 15 + 24);
        // A year idle: recency 0.
        let gone = module.assess(AccountId(1), Timestamp(400 * SECONDS_PER_DAY)).unwrap();
        assert_eq!(gone.score, 15);
        assert!(module.assess(AccountId(99), Timestamp(0)).is_none());
    }
}
