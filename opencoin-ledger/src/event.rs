//! Events the ledger publishes, in order, to its subscribers.
//!
//! Every applied operation produces events, one or more, except a basic
//! income distribution in a currency without members. They are delivered
//! after the operation (or the atomic batch) has been applied, never for a
//! refused one, and in the same order on every replay.

use std::any::Any;

use opencoin_core::{AccountId, AccountKind, Amount, CurrencyCode, Timestamp, TransactionId};
use opencoin_rules::Warning;

/// Something that happened in the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in the ledger's event stream, from zero.
    pub sequence: u64,
    /// When it happened, as given by the operation.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// A currency was created.
    CurrencyCreated {
        /// Its code.
        currency: CurrencyCode,
    },
    /// An account was opened.
    AccountOpened {
        /// The account.
        account: AccountId,
        /// Its currency.
        currency: CurrencyCode,
        /// Its kind.
        kind: AccountKind,
    },
    /// An account's location or sectors changed.
    AccountUpdated {
        /// The account.
        account: AccountId,
    },
    /// Money was created.
    Issued {
        /// The transaction, or `None` for opening balances.
        transaction: Option<TransactionId>,
        /// The currency.
        currency: CurrencyCode,
        /// The issuer account, or `None` for opening balances.
        issuer: Option<AccountId>,
        /// The account credited.
        to: AccountId,
        /// How much.
        amount: Amount,
    },
    /// Money moved between two accounts.
    Transferred {
        /// The transaction.
        transaction: TransactionId,
        /// The currency.
        currency: CurrencyCode,
        /// The payer.
        from: AccountId,
        /// The payee.
        to: AccountId,
        /// How much.
        amount: Amount,
    },
    /// Money was returned and destroyed.
    Redeemed {
        /// The transaction.
        transaction: TransactionId,
        /// The currency.
        currency: CurrencyCode,
        /// The account debited.
        from: AccountId,
        /// How much.
        amount: Amount,
    },
    /// The supply cap was raised.
    SupplyCapRaised {
        /// The transaction.
        transaction: TransactionId,
        /// The currency.
        currency: CurrencyCode,
        /// The new cap.
        cap: Amount,
    },
    /// An account's idle balance melted.
    Melted {
        /// The currency.
        currency: CurrencyCode,
        /// The account that melted.
        account: AccountId,
        /// How much melted.
        amount: Amount,
        /// The account credited, or `None` when burned.
        destination: Option<AccountId>,
    },
    /// A member received basic income.
    IncomePaid {
        /// The currency.
        currency: CurrencyCode,
        /// The member.
        account: AccountId,
        /// How much.
        amount: Amount,
    },
    /// An applied transaction passed a soft limit.
    Warned {
        /// The transaction.
        transaction: TransactionId,
        /// The warning.
        warning: Warning,
    },
}

/// Receives the ledger's events in order.
///
/// Subscribers run inside the ledger's apply call, so they should be quick;
/// one that needs to do slow work should queue the event and return.
pub trait Subscriber: Any {
    /// Called once per event, in order.
    fn on_event(&mut self, event: &Event);
}

/// A subscriber's handle, returned by [`crate::Ledger::subscribe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriberId(pub(crate) usize);

/// A subscriber that keeps every event, for tests and small tools.
#[derive(Debug, Default, Clone)]
pub struct EventLog {
    /// The events received, in order.
    pub events: Vec<Event>,
}

impl Subscriber for EventLog {
    fn on_event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}
