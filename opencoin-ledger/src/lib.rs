//! The OpenCoin ledger: the state machine that enforces a currency's design.
//!
//! A [`Ledger`] holds one or more currencies and their accounts. It applies
//! [`Operation`]s (create a currency, open or update an account, submit a
//! signed transaction, distribute basic income) one at a time, as an
//! independent batch ([`Ledger::apply_each`]) or as an atomic batch
//! ([`Ledger::apply_atomic`]). Each operation is checked completely before
//! anything is written; a refusal is a [`Rejection`] that says which check
//! or rule refused and changes nothing.
//!
//! Applied operations publish [`Event`]s, in order, to [`Subscriber`]s, such
//! as the built-in [`ActivityReputation`]. Queries give balances with
//! demurrage applied, the supply, statements, a trial balance that sums to
//! the supply and a [`Ledger::state_hash`] for comparing replicas.
//!
//! The ledger never reads a clock or a random source: time comes with each
//! operation and must not go backwards, and the same operations in the same
//! order always give the same state hash.
//!
//! The [`journal`] keeps a ledger in a directory: a [`DurableLedger`]
//! journals every applied operation before its call returns (synced to the
//! disk under the default [`SyncPolicy`]), is rebuilt from its directory,
//! and answers questions about the past (time travel, provenance, account
//! histories with Merkle proofs against signed checkpoints).
//!
//! # Features
//!
//! - `tracing`: emit `tracing` events for every applied or refused operation
//!   (trace level) and every refusal and rolled-back batch (debug level).
//!   They carry the operation's kind and the rejection's code and name;
//!   never amounts, account ids or key material. Off by default: a library
//!   that logs makes privacy choices for its users.

pub mod hash;
mod ledger;

pub mod event;
pub mod journal;
pub mod operation;
pub mod query;
pub mod rejection;
pub mod reputation;

pub use event::{Event, EventKind, EventLog, Subscriber, SubscriberId};
pub use journal::{BatchTicket, DurableLedger, JournalOptions, SyncPolicy};
pub use ledger::{BatchRejection, Ledger, LedgerConfig, PostingKind, Receipt};
pub use operation::{OpenAccount, Operation, SECTORS_PER_ACCOUNT_MAX, UpdateAccount};
pub use query::{
    BalanceView, QueryError, StatementLine, SupplyView, TrialBalance, TrialBalanceLine,
};
pub use rejection::Rejection;
pub use reputation::{Activity, ActivityReputation, Assessment, ReputationModule};
