//! The ledger: accounts, balances and the application of operations.
//!
//! Applying an operation has two phases. The *plan* phase reads state and
//! runs every check, in a fixed order for each kind of operation (see
//! [`Rejection`]), producing a small plan of new values; nothing is
//! written, so a refusal changes nothing. The *commit* phase writes the
//! plan, appends postings and events, and asserts that the currency's books
//! still balance. An atomic batch also records the old value of everything
//! it writes, and restores them in reverse order if any operation of the
//! batch is refused.
//!
//! This file holds the state, the batch machinery and the write helpers that
//! every operation shares. Each kind of operation has its own file:
//! `accounts.rs` (creating currencies, opening and updating accounts),
//! `payment.rs` (signed transactions: the plan and commit of a payment) and
//! `income.rs` (basic income).

mod accounts;
mod income;
mod payment;

use std::collections::{BTreeMap, HashMap, VecDeque};

use opencoin_core::signature;
use opencoin_core::spec::SupplyPolicy;
use opencoin_core::{
    AccountAttributes, AccountId, AccountKind, Amount, CurrencyCode, CurrencySpec, MINOR_UNITS_MAX,
    Timestamp, TransactionId,
};
use opencoin_rules::{AccountProfile, Melt, RuleSet, Warning};

use crate::event::{Event, EventKind, Subscriber, SubscriberId};
use crate::hash::IdMap;
use crate::operation::Operation;
use crate::rejection::Rejection;

/// How a ledger treats signatures and history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerConfig {
    /// Verify every transaction's signature, under the rules of
    /// `opencoin_core::signature` (ZIP 215). Turn off only when the caller
    /// has verified them already, for example in a benchmark that measures
    /// verification separately. Default: on.
    pub verify_signatures: bool,
    /// Keep every posting in memory so that statements can be produced.
    /// Default: on. Off saves one posting (96 bytes on 64-bit targets) per
    /// balance change: two per transfer, one per issue or redemption, and
    /// one per melt written.
    pub keep_history: bool,
}

impl Default for LedgerConfig {
    fn default() -> LedgerConfig {
        LedgerConfig { verify_signatures: true, keep_history: true }
    }
}

/// What happened to an operation that was not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// The operation was applied.
    Applied {
        /// A soft limit passed on the way, if any. Boxed because warnings
        /// are rare and a batch keeps one receipt per operation: unboxed,
        /// the warning would more than double the size of every receipt.
        warning: Option<Box<Warning>>,
    },
    /// The very same transaction is the latest one applied from its source
    /// account; nothing changed. (An older applied transaction is refused
    /// with [`Rejection::SequenceMismatch`]: its number is used.)
    AlreadyApplied(TransactionId),
}

/// An atomic batch that was refused as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("operation {index} of the batch was refused, so none was applied: {rejection}")]
pub struct BatchRejection {
    /// The position of the first refused operation.
    pub index: usize,
    /// Why it was refused.
    pub rejection: Rejection,
}

/// The part of an account read and written by every payment, kept apart from
/// the rest and to one cache line, so that a payment touches one line per
/// side (with a million accounts, each touch is a trip to memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct AccountHot {
    /// Balance in minor units, as of `as_of` (demurrage after that is not
    /// applied yet).
    pub balance: i128,
    /// When the balance was last settled.
    pub as_of: Timestamp,
    /// The sequence number the next transaction from this account must carry.
    pub next_sequence: u64,
    /// The account's id, for events and postings.
    pub id: AccountId,
    /// What the rules decided about the account: an index into
    /// [`Ledger::profiles`], since many accounts share a profile.
    pub profile: ProfileIndex,
    /// Index of the currency in the ledger.
    pub currency: u16,
    /// The account's kind.
    pub kind: AccountKind,
}

// One cache line, as the layout above intends.
const _: () = assert!(std::mem::size_of::<AccountHot>() == 64);

/// An index into the ledger's table of distinct account profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProfileIndex(u32);

/// What a payment from an account is checked against: who may sign for it,
/// and the transaction it made last (which a re-submission is compared
/// with, see `Ledger::submit`). Read and written only for the source, in
/// one cache line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(64))]
pub(crate) struct AccountSigner {
    /// The owner's public key, as its 32 bytes.
    pub owner: [u8; 32],
    /// The id of the transaction that used the sequence number before the
    /// account's `next_sequence`; zeros, and meaningless, while the account
    /// has made none (see [`AccountSigner::last_transaction`]). Not an
    /// `Option`, whose extra byte would take the record past one line.
    pub last_transaction: TransactionId,
}

const _: () = assert!(std::mem::size_of::<AccountSigner>() == 64);

/// An account's hot record and its signer record, side by side in one
/// aligned block of two cache lines. A payment reads both for its source:
/// kept in two tables they were two misses with a million accounts, and
/// more than the 1 MiB second-level cache of some processors held with ten
/// thousand; side by side, the processor's adjacent-line prefetch brings
/// the signer line with the hot one. A payee's signer line comes along
/// unused, which costs bandwidth, not waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(128))]
pub(crate) struct AccountRecord {
    pub hot: AccountHot,
    pub signer: AccountSigner,
}

const _: () = assert!(std::mem::size_of::<AccountRecord>() == 128);

impl AccountSigner {
    /// A new account's record: no transaction yet.
    pub(crate) fn new(owner: [u8; 32]) -> AccountSigner {
        AccountSigner { owner, last_transaction: TransactionId([0; 32]) }
    }

    /// The last transaction of the account whose hot record is `hot`.
    pub(crate) fn last_transaction(&self, hot: &AccountHot) -> Option<TransactionId> {
        (hot.next_sequence > 0).then_some(self.last_transaction)
    }
}

/// The rest of an account: read to explain a refusal, for queries and for
/// snapshots, never by an accepted payment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AccountCold {
    pub attributes: AccountAttributes,
}

/// The running totals of a currency. Invariant, checked on every commit:
/// the balances of its accounts sum to `issued - redeemed - burned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub issued: i128,
    pub redeemed: i128,
    pub burned: i128,
    pub cap: Option<i128>,
    pub income_paid_through: Timestamp,
}

impl Totals {
    pub(crate) fn in_circulation(&self) -> i128 {
        self.issued - self.redeemed - self.burned
    }
}

pub(crate) struct CurrencyState {
    pub spec: CurrencySpec,
    pub rules: RuleSet,
    pub totals: Totals,
    /// The account melted value is credited to, if not burned.
    pub melt_destination: Option<u32>,
    /// Whether a payer must hold what it pays ("insufficient funds"): yes
    /// for issued and basic-income money, no under mutual credit, where the
    /// credit limit rule decides. Set once when the currency is created.
    pub payer_must_afford: bool,
}

impl CurrencyState {
    /// A currency's state, with what depends only on its spec decided once.
    pub(crate) fn new(
        spec: CurrencySpec,
        rules: RuleSet,
        totals: Totals,
        melt_destination: Option<u32>,
    ) -> CurrencyState {
        let payer_must_afford = !matches!(spec.supply, SupplyPolicy::MutualCredit { .. });
        CurrencyState { spec, rules, totals, melt_destination, payer_must_afford }
    }
}

/// One line of an account's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Posting {
    pub account: u32,
    pub at: Timestamp,
    pub transaction: Option<TransactionId>,
    pub kind: PostingKind,
    pub counterparty: Option<AccountId>,
    /// Signed change in minor units.
    pub change: i128,
    pub balance_after: i128,
}

/// Why a balance changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PostingKind {
    /// Opening balance issued when the currency was created.
    Opening,
    /// Money issued to the account.
    Issue,
    /// Payment received.
    TransferIn,
    /// Payment made.
    TransferOut,
    /// Money redeemed.
    Redeem,
    /// Demurrage melted from the account.
    Melt,
    /// Melted value received by the destination account.
    MeltReceived,
    /// Basic income received.
    Income,
}

/// What to restore if an atomic batch is refused.
enum Undo {
    Hot(u32, AccountHot),
    Cold(u32, AccountCold),
    Totals(u16, Totals),
    Clock(Timestamp),
    /// A transaction was applied from the account, whose last transaction
    /// was the one given.
    Applied(u32, TransactionId),
    AccountOpened(AccountId),
    CurrencyCreated(CurrencyCode),
}

/// A ledger of one or more currencies.
///
/// ```
/// use opencoin_core::ed25519_dalek::SigningKey;
/// use opencoin_core::{
///     AccountId, AccountKind, Action, Amount, CurrencySpec, Timestamp, Transaction,
/// };
/// use opencoin_ledger::{Ledger, LedgerConfig, OpenAccount, Operation};
///
/// let issuer_key = SigningKey::from_bytes(&[1; 32]);
/// let member_key = SigningKey::from_bytes(&[2; 32]);
/// let spec = CurrencySpec::from_toml_str(&format!(r#"
///     code = "VLG"
///     name = "Village"
///     decimals = 2
///     supply = {{ policy = "issued", issuers = ["{}"] }}
/// "#, hex(issuer_key.verifying_key().as_bytes())))?;
/// let code = spec.code;
///
/// let mut ledger = Ledger::new(LedgerConfig::default());
/// ledger.apply(&Operation::CreateCurrency { spec: Box::new(spec), at: Timestamp(0) })?;
/// let accounts = [(1, &issuer_key, AccountKind::Issuer), (2, &member_key, AccountKind::Member)];
/// for (id, key, kind) in accounts {
///     ledger.apply(&Operation::OpenAccount(OpenAccount {
///         id: AccountId(id), currency: code, owner: key.verifying_key(), kind,
///         location: None, sectors: vec![], at: Timestamp(0),
///     }))?;
/// }
/// let issue = Transaction {
///     currency: code, source: AccountId(1), sequence: 0, timestamp: Timestamp(10),
///     action: Action::Issue { to: AccountId(2), amount: Amount::parse("25.00", 2)? },
///     memo: String::new(),
/// }.sign(&issuer_key)?;
/// ledger.apply(&Operation::Submit(issue))?;
/// assert_eq!(ledger.balance(AccountId(2), Timestamp(10))?.balance.to_string(), "25.00");
///
/// # fn hex(bytes: &[u8]) -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Ledger {
    pub(crate) config: LedgerConfig,
    pub(crate) clock: Timestamp,
    pub(crate) currencies: Vec<CurrencyState>,
    pub(crate) currency_index: BTreeMap<CurrencyCode, u16>,
    /// Every account's hot and signer records, by account index.
    pub(crate) accounts: Vec<AccountRecord>,
    pub(crate) cold: Vec<AccountCold>,
    /// The distinct account profiles, which [`AccountHot::profile`] indexes.
    pub(crate) profiles: Vec<AccountProfile>,
    profile_index: HashMap<AccountProfile, ProfileIndex>,
    pub(crate) account_index: IdMap<AccountId, u32>,
    /// The number of transactions applied.
    pub(crate) applied_count: u64,
    pub(crate) history: Vec<Posting>,
    event_sequence: u64,
    /// Events not yet published: a queue, so that a durable ledger can
    /// publish those of its oldest batch while later batches' wait.
    pending_events: VecDeque<Event>,
    subscribers: Vec<Box<dyn Subscriber>>,
    undo: Option<Vec<Undo>>,
    /// Signature verdicts of the batch being applied, kept between batches.
    signature_verdicts: Vec<bool>,
    /// Events are kept in `pending_events` until released (see
    /// [`Ledger::hold_events`]).
    events_held: bool,
}

impl Ledger {
    /// An empty ledger.
    pub fn new(config: LedgerConfig) -> Ledger {
        Ledger {
            config,
            clock: Timestamp(0),
            currencies: Vec::new(),
            currency_index: BTreeMap::new(),
            accounts: Vec::new(),
            cold: Vec::new(),
            profiles: Vec::new(),
            profile_index: HashMap::new(),
            account_index: IdMap::default(),
            applied_count: 0,
            history: Vec::new(),
            event_sequence: 0,
            pending_events: VecDeque::new(),
            subscribers: Vec::new(),
            undo: None,
            signature_verdicts: Vec::new(),
            events_held: false,
        }
    }

    /// The number of events published so far. A hook for the journal's
    /// snapshots, which restore it so that event numbers carry on.
    pub(crate) fn event_sequence(&self) -> u64 {
        self.event_sequence
    }

    /// Sets the next event number. A hook for the journal's snapshots; only
    /// meaningful on a ledger being rebuilt, before any operation is applied.
    pub(crate) fn set_event_sequence(&mut self, sequence: u64) {
        self.event_sequence = sequence;
    }

    /// The configuration the ledger was made with.
    pub fn config(&self) -> LedgerConfig {
        self.config
    }

    /// The time of the last applied operation.
    pub fn clock(&self) -> Timestamp {
        self.clock
    }

    /// Adds a subscriber, which will receive every later event in order.
    pub fn subscribe(&mut self, subscriber: Box<dyn Subscriber>) -> SubscriberId {
        self.subscribers.push(subscriber);
        SubscriberId(self.subscribers.len() - 1)
    }

    /// A subscriber added earlier, if it has type `T`.
    pub fn subscriber<T: Subscriber>(&self, id: SubscriberId) -> Option<&T> {
        let subscriber: &dyn Subscriber = self.subscribers.get(id.0)?.as_ref();
        (subscriber as &dyn std::any::Any).downcast_ref::<T>()
    }

    /// Applies one operation.
    ///
    /// # Errors
    ///
    /// A [`Rejection`]; the ledger is then exactly as before the call and
    /// may be used on.
    pub fn apply(&mut self, operation: &Operation) -> Result<Receipt, Rejection> {
        let signature_ok = self.signature_ok(operation);
        let result = self.apply_one(operation, signature_ok, AccountLookup::NOT_DONE);
        trace_outcome(operation, &result);
        self.publish();
        result
    }

    /// Applies operations one after another, each on its own: a refused one
    /// does not stop the others. Returns one result per operation.
    pub fn apply_each(&mut self, operations: &[Operation]) -> Vec<Result<Receipt, Rejection>> {
        let mut results = Vec::with_capacity(operations.len());
        self.apply_each_into(operations, &mut results);
        results
    }

    /// Like [`Ledger::apply_each`], but writes the results into `results`
    /// (cleared first), so that a caller applying batch after batch can
    /// reuse one buffer. A batch of thousands of results is large enough
    /// that allocating it afresh each time costs the memory system more
    /// than applying the batch.
    pub fn apply_each_into(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
    ) {
        self.apply_each_windows(operations, results, usize::MAX, |_, _| {});
    }

    /// [`Ledger::apply_each_into`] with a hook for the journal.
    ///
    /// Signatures are verified once, for the whole batch (see
    /// [`Ledger::verify_all`]). The operations are then applied in windows
    /// of [`WARM_WINDOW`], each warmed first (see [`Ledger::warm_accounts`]).
    /// Whenever the windows applied since the last call hold at least
    /// `window_min` operations, and after the last window, `after_window`
    /// gets their positions in the batch and their results: the journal
    /// frames their records on another thread while this one goes on.
    pub(crate) fn apply_each_windows(
        &mut self,
        operations: &[Operation],
        results: &mut Vec<Result<Receipt, Rejection>>,
        window_min: usize,
        mut after_window: impl FnMut(std::ops::Range<usize>, &[Result<Receipt, Rejection>]),
    ) {
        let mut verdicts = std::mem::take(&mut self.signature_verdicts);
        self.verify_all(operations, &mut verdicts);
        results.clear();
        results.reserve(operations.len());
        let mut window_start = 0;
        let mut lookups = [AccountLookup::NOT_DONE; WARM_WINDOW];
        for (window, verdicts) in operations.chunks(WARM_WINDOW).zip(verdicts.chunks(WARM_WINDOW)) {
            self.warm_accounts(window, &mut lookups);
            for ((operation, &signature_ok), &lookup) in window.iter().zip(verdicts).zip(&lookups) {
                let result = self.apply_one(operation, signature_ok, lookup);
                trace_outcome(operation, &result);
                results.push(result);
                // Each operation of an independent batch stands on its own,
                // so its events go out at once: the buffer stays a few
                // events long and in cache, instead of a whole batch's worth
                // of megabytes.
                self.publish();
            }
            let done = results.len();
            if done - window_start >= window_min || done == operations.len() {
                after_window(window_start..done, results.get(window_start..).unwrap_or_default());
                window_start = done;
            }
        }
        self.signature_verdicts = verdicts;
    }

    /// Applies all the operations or none of them.
    ///
    /// # Errors
    ///
    /// [`BatchRejection`] with the first refused operation; the ledger is
    /// then exactly as before the call (no events are published) and may be
    /// used on.
    pub fn apply_atomic(
        &mut self,
        operations: &[Operation],
    ) -> Result<Vec<Receipt>, BatchRejection> {
        let mut signatures = std::mem::take(&mut self.signature_verdicts);
        self.verify_all(operations, &mut signatures);
        let events_before = (self.event_sequence, self.pending_events.len());
        let history_before = self.history.len();
        self.undo = Some(Vec::new());

        let mut receipts = Vec::with_capacity(operations.len());
        let mut refusal = None;
        let mut lookups = [AccountLookup::NOT_DONE; WARM_WINDOW];
        for (index, (operation, &signature_ok)) in operations.iter().zip(&signatures).enumerate() {
            if index % WARM_WINDOW == 0 {
                let window = &operations[index..(index + WARM_WINDOW).min(operations.len())];
                self.warm_accounts(window, &mut lookups);
            }
            match self.apply_one(operation, signature_ok, lookups[index % WARM_WINDOW]) {
                Ok(receipt) => receipts.push(receipt),
                Err(rejection) => {
                    refusal = Some(BatchRejection { index, rejection });
                    break;
                }
            }
        }

        self.signature_verdicts = signatures;
        let undo = self.undo.take().unwrap_or_default();
        match refusal {
            None => {
                self.publish();
                Ok(receipts)
            }
            Some(refusal) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(
                    index = refusal.index,
                    code = refusal.rejection.code(),
                    reason = refusal.rejection.name(),
                    "atomic batch refused and rolled back"
                );
                self.roll_back(undo);
                self.history.truncate(history_before);
                self.event_sequence = events_before.0;
                self.pending_events.truncate(events_before.1);
                Err(refusal)
            }
        }
    }

    /// Verifies the signatures of a batch before it is applied, on every
    /// core: the batch is cut into one contiguous slice per thread, and each
    /// slice is checked as one ed25519 batch under the rules of
    /// `opencoin_core::signature` (ZIP 215). Under those rules a batch passes
    /// exactly when each of its signatures is valid on its own, so every
    /// operation gets its one-at-a-time answer whatever the number of
    /// threads or where batches begin and end: replicas and replays agree.
    /// Applying stays sequential.
    ///
    /// A slice that fails is cut in two and each half is checked again,
    /// down to [`VERIFY_ONE_BY_ONE_MAX`] signatures, which are checked one
    /// by one: a few bad signatures cost a few more batches, not a whole
    /// slice of single checks (about three times dearer each).
    ///
    /// The verdicts go into `results`, a buffer the ledger keeps between
    /// batches. (The batch verifier allocates its own buffers once per
    /// slice, never per signature.)
    fn verify_all(&self, operations: &[Operation], results: &mut Vec<bool>) {
        // Refused until a check says otherwise (a worker that never
        // finished leaves its slice refused).
        let verify = self.config.verify_signatures;
        results.clear();
        results.resize(operations.len(), !verify);
        if !verify {
            return;
        }
        let threads = if operations.len() >= PARALLEL_VERIFY_MIN {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            1
        };
        if threads <= 1 {
            verify_slice(operations, results);
            return;
        }

        let slice = operations.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = operations
                .chunks(slice)
                .zip(results.chunks_mut(slice))
                .map(|(operations, results)| scope.spawn(move || verify_slice(operations, results)))
                .collect();
            // Verification does not panic; if a worker ever did, the rest
            // of its slice would stay refused, never wrongly accepted.
            for worker in workers {
                let _ = worker.join();
            }
        });
    }

    /// Looks up, for a window of operations about to be applied, the
    /// accounts their transactions name, and reads their records so that
    /// they are in the cache when applying needs them. The indexes found go
    /// into `lookups` (one per operation of the window), which spares
    /// applying a second search of the id map.
    ///
    /// Applying is sequential and each transfer waits for its own records:
    /// with a million accounts, each is a trip to memory of about 100 ns,
    /// one after another. Here the reads are independent of each other, so
    /// the processor has many in flight at once. They are done in two
    /// passes, every lookup and then every record, so that the second pass
    /// is a short loop of loads of which the processor keeps many more in
    /// flight than it could with a hash probe between each two. (A prefetch
    /// instruction would say the same without waiting, but cannot be issued
    /// without `unsafe` code, which this crate does not use.)
    fn warm_accounts(&self, window: &[Operation], lookups: &mut [AccountLookup; WARM_WINDOW]) {
        for (operation, lookup) in window.iter().zip(lookups.iter_mut()) {
            *lookup = match operation {
                Operation::Submit(signed) => {
                    let tx = signed.transaction();
                    let find = |id| self.account_index.get(&id).copied();
                    AccountLookup {
                        source: find(tx.source),
                        counterparty: tx.action.counterparty().and_then(find),
                    }
                }
                _ => AccountLookup::NOT_DONE,
            };
        }

        // Reads only: what is read is thrown away.
        let mut sink = 0_u64;
        for lookup in lookups.iter().take(window.len()) {
            if let Some(source) = lookup.source {
                let record = &self.accounts[source as usize];
                sink ^= record.hot.next_sequence ^ u64::from(record.signer.owner[0]);
            }
            if let Some(counterparty) = lookup.counterparty {
                sink ^= self.accounts[counterparty as usize].hot.next_sequence;
            }
        }
        std::hint::black_box(sink);
    }

    fn signature_ok(&self, operation: &Operation) -> bool {
        signature_ok(self.config.verify_signatures, operation)
    }

    fn apply_one(
        &mut self,
        operation: &Operation,
        signature_ok: bool,
        lookup: AccountLookup,
    ) -> Result<Receipt, Rejection> {
        match operation {
            Operation::Submit(signed) => self.submit(signed, signature_ok, lookup),
            Operation::CreateCurrency { spec, at } => self.create_currency(spec, *at),
            Operation::OpenAccount(open) => self.open_account(open),
            Operation::UpdateAccount(update) => self.update_account(update),
            Operation::DistributeIncome { currency, at } => self.distribute_income(*currency, *at),
        }
    }

    /// Holds events back from now on, for a caller that must make the
    /// operations durable before anyone hears of them (the journal), which
    /// then publishes them with [`Ledger::release_held_events`].
    pub(crate) fn hold_events(&mut self) {
        self.events_held = true;
    }

    /// How many events are held back, oldest first.
    pub(crate) fn held_events(&self) -> usize {
        if self.events_held { self.pending_events.len() } else { 0 }
    }

    /// Publishes the `count` oldest pending events (for the journal: those
    /// whose operations are now durable) and goes on holding the rest.
    pub(crate) fn release_held_events(&mut self, count: usize) {
        let count = count.min(self.pending_events.len());
        // Read in place and then dropped: draining them one by one would
        // move each event (144 bytes) out of the queue first.
        for event in self.pending_events.range(..count) {
            for subscriber in &mut self.subscribers {
                subscriber.on_event(event);
            }
        }
        self.pending_events.drain(..count);
    }

    /// Drops every event held back: their operations did not become
    /// durable, so no subscriber may act on them.
    pub(crate) fn discard_held_events(&mut self) {
        self.pending_events.clear();
    }

    /// Publishes the pending events, unless they are held.
    fn publish(&mut self) {
        if !self.events_held && !self.pending_events.is_empty() {
            self.release_held_events(self.pending_events.len());
        }
    }

    /// Numbers an event and queues it for the subscribers. With none, the
    /// event is numbered but not kept: nobody could receive it, and a
    /// subscriber added later hears only of later events anyway.
    fn emit(&mut self, at: Timestamp, kind: EventKind) {
        if !self.subscribers.is_empty() {
            self.pending_events.push_back(Event { sequence: self.event_sequence, at, kind });
        }
        self.event_sequence += 1;
    }

    fn record(&mut self, undo: Undo) {
        if let Some(log) = &mut self.undo {
            log.push(undo);
        }
    }

    fn roll_back(&mut self, undo: Vec<Undo>) {
        for entry in undo.into_iter().rev() {
            match entry {
                Undo::Hot(index, hot) => self.accounts[index as usize].hot = hot,
                Undo::Cold(index, cold) => self.cold[index as usize] = cold,
                Undo::Totals(index, totals) => self.currencies[usize::from(index)].totals = totals,
                Undo::Clock(clock) => self.clock = clock,
                Undo::Applied(source, previous) => {
                    self.accounts[source as usize].signer.last_transaction = previous;
                    self.applied_count -= 1;
                }
                Undo::AccountOpened(id) => {
                    self.accounts.pop();
                    self.cold.pop();
                    self.account_index.remove(&id);
                }
                Undo::CurrencyCreated(code) => {
                    self.currencies.pop();
                    self.currency_index.remove(&code);
                }
            }
        }
    }

    fn check_time(&self, at: Timestamp) -> Result<(), Rejection> {
        if at < self.clock {
            return Err(Rejection::TimeWentBackwards { at, clock: self.clock });
        }
        Ok(())
    }

    fn advance_clock(&mut self, at: Timestamp) {
        if at != self.clock {
            // Tested here, as in `commit`, so that outside an atomic batch
            // a payment makes no call to `record` (measured: 36
            // instructions a payment for the two calls).
            if self.undo.is_some() {
                self.record(Undo::Clock(self.clock));
            }
            self.clock = at;
        }
    }

    pub(crate) fn currency(&self, code: CurrencyCode) -> Result<u16, Rejection> {
        match self.currency_index.get(&code) {
            Some(&index) => Ok(index),
            None => Err(Rejection::UnknownCurrency(code)),
        }
    }

    pub(crate) fn account(&self, id: AccountId) -> Result<u32, Rejection> {
        match self.account_index.get(&id) {
            Some(&index) => Ok(index),
            None => Err(Rejection::UnknownAccount(id)),
        }
    }

    /// The indexes of the accounts that hold `currency`, in the order they
    /// were opened. Walks every account of the ledger.
    pub(crate) fn accounts_in(&self, currency: u16) -> impl Iterator<Item = u32> + '_ {
        // Account indexes are u32 (see `insert_account`), so zipping with
        // 0.. numbers every account.
        self.hot().zip(0_u32..).filter(move |(hot, _)| hot.currency == currency).map(|(_, i)| i)
    }

    /// Every account's hot record, by account index.
    pub(crate) fn hot(&self) -> impl Iterator<Item = &AccountHot> + '_ {
        self.accounts.iter().map(|record| &record.hot)
    }

    /// The profile of an account.
    pub(crate) fn profile(&self, hot: &AccountHot) -> &AccountProfile {
        &self.profiles[hot.profile.0 as usize]
    }

    /// The index of a profile in the table of distinct profiles, added if
    /// new. Profiles are never removed: one left by a rolled-back account
    /// is unused, not wrong.
    pub(crate) fn intern_profile(&mut self, profile: AccountProfile) -> ProfileIndex {
        if let Some(&index) = self.profile_index.get(&profile) {
            return index;
        }
        // There are at most as many distinct profiles as accounts, whose
        // indexes are u32 too.
        let index = ProfileIndex(u32::try_from(self.profiles.len()).unwrap_or(u32::MAX));
        self.profiles.push(profile);
        self.profile_index.insert(profile, index);
        index
    }

    /// The balance of account `index` settled to `at`: demurrage since the
    /// last settlement is computed, not written.
    pub(crate) fn settle(&self, index: u32, at: Timestamp) -> Melt {
        let hot = &self.accounts[index as usize].hot;
        let unchanged = Melt { balance: hot.balance, melted: 0 };
        if !self.profile(hot).melts {
            return unchanged;
        }
        let demurrage = self.currencies[usize::from(hot.currency)].rules.demurrage();
        demurrage.map_or(unchanged, |demurrage| demurrage.melt(hot.balance, hot.as_of, at))
    }

    /// Writes settled balances and the destination's credit, with postings
    /// and events for every melt.
    fn write_melts(
        &mut self,
        currency: u16,
        at: Timestamp,
        melts: &[Option<(u32, Melt)>],
        fund: Option<(u32, i128)>,
    ) {
        let code = self.currencies[usize::from(currency)].spec.code;
        let decimals = self.currencies[usize::from(currency)].spec.decimals;
        let destination = fund.map(|(index, _)| self.accounts[index as usize].hot.id);
        for &(index, melt) in melts.iter().flatten() {
            self.write_balance(index, melt.balance, at);
            if melt.melted > 0 {
                let account = self.accounts[index as usize].hot.id;
                self.post(Posting {
                    account: index,
                    at,
                    transaction: None,
                    kind: PostingKind::Melt,
                    counterparty: destination,
                    change: -melt.melted,
                    balance_after: melt.balance,
                });
                let amount = Amount::saturating_from_minor_units(melt.melted, decimals);
                self.emit(at, EventKind::Melted { currency: code, account, amount, destination });
            }
        }
        if let Some((index, credit)) = fund {
            self.update_hot(index, |hot| hot.balance += credit);
            self.post(Posting {
                account: index,
                at,
                transaction: None,
                kind: PostingKind::MeltReceived,
                counterparty: None,
                change: credit,
                balance_after: self.accounts[index as usize].hot.balance,
            });
        }
    }

    fn write_balance(&mut self, index: u32, balance: i128, at: Timestamp) {
        self.update_hot(index, |hot| {
            hot.balance = balance;
            hot.as_of = at;
        });
    }

    /// Changes an account's hot record in place, after keeping the old one
    /// if an atomic batch may roll back. Copying the 64-byte record out and
    /// back in for each change cost about 100 instructions a payment
    /// (BENCHMARKS.md).
    fn update_hot(&mut self, index: u32, change: impl FnOnce(&mut AccountHot)) {
        if self.undo.is_some() {
            self.record(Undo::Hot(index, self.accounts[index as usize].hot));
        }
        let hot = &mut self.accounts[index as usize].hot;
        change(hot);
        debug_assert!((-MINOR_UNITS_MAX..=MINOR_UNITS_MAX).contains(&hot.balance));
    }

    fn write_totals(&mut self, currency: u16, totals: Totals) {
        if self.undo.is_some() {
            self.record(Undo::Totals(currency, self.currencies[usize::from(currency)].totals));
        }
        self.currencies[usize::from(currency)].totals = totals;
    }

    /// Keeps a posting for statements, if the ledger keeps history.
    pub(crate) fn post(&mut self, posting: Posting) {
        if self.config.keep_history {
            self.history.push(posting);
        }
    }

    /// In debug builds, checks the whole currency: its balances sum to its
    /// supply in circulation. Walks every account, so release builds rely on
    /// the per-commit check in [`Self::commit`] and the property tests.
    fn assert_books_balance(&self, currency: u16) {
        if cfg!(debug_assertions) {
            let sum: i128 =
                self.hot().filter(|hot| hot.currency == currency).map(|hot| hot.balance).sum();
            let totals = self.currencies[usize::from(currency)].totals;
            debug_assert_eq!(
                sum,
                totals.in_circulation(),
                "books of currency {currency} do not balance"
            );
        }
    }
}

/// Logs, with the `tracing` feature, what happened to an operation: its kind
/// and the rejection's code and name, never amounts, account ids or keys.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn trace_outcome(operation: &Operation, result: &Result<Receipt, Rejection>) {
    #[cfg(feature = "tracing")]
    {
        let kind = match operation {
            Operation::CreateCurrency { .. } => "create currency",
            Operation::OpenAccount(_) => "open account",
            Operation::UpdateAccount(_) => "update account",
            Operation::Submit(_) => "submit",
            Operation::DistributeIncome { .. } => "distribute income",
        };
        match result {
            Ok(Receipt::Applied { warning }) => {
                tracing::trace!(kind, warned = warning.is_some(), "operation applied");
            }
            Ok(Receipt::AlreadyApplied(_)) => tracing::trace!(kind, "operation already applied"),
            Err(rejection) => tracing::debug!(
                kind,
                code = rejection.code(),
                reason = rejection.name(),
                "operation refused"
            ),
        }
    }
}

/// The indexes of the accounts a transaction names, as found while its
/// window was warmed (see [`Ledger::warm_accounts`]). An account found then
/// is at that index for the rest of the batch: accounts are only ever
/// added, except by the roll-back that ends a refused atomic batch. One not
/// found then (`None`) may have been opened since by an earlier operation
/// of the window, so it is searched for again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AccountLookup {
    /// The transaction's source account.
    pub source: Option<u32>,
    /// The account it pays or issues to, if it names one.
    pub counterparty: Option<u32>,
}

impl AccountLookup {
    /// Nothing looked up: every account is searched for when applied.
    pub(crate) const NOT_DONE: AccountLookup = AccountLookup { source: None, counterparty: None };
}

/// Operations whose account records are read together before they are
/// applied (see [`Ledger::warm_accounts`]): enough for many reads in
/// flight, few enough that what they bring (about 40 KB) stays in the
/// second-level cache. Measured against 32 and 64 with the two-pass
/// warming (BENCHMARKS.md, change 11): 128 was 4% ahead of 32 with ten
/// thousand accounts and with a million, 64 in between.
const WARM_WINDOW: usize = 128;

/// Batches with fewer signatures than this are verified on the calling
/// thread: starting threads costs tens of microseconds, verifying one
/// signature about fifty.
const PARALLEL_VERIFY_MIN: usize = 16;

/// Whether an operation's signature verifies; operations without one, and
/// every operation when `verify` is off, pass.
fn signature_ok(verify: bool, operation: &Operation) -> bool {
    match operation {
        Operation::Submit(signed) => !verify || signed.verify().is_ok(),
        _ => true,
    }
}

/// Slices of at most this many operations are verified one by one when
/// their batch fails: below it, halving again saves less than it costs.
const VERIFY_ONE_BY_ONE_MAX: usize = 4;

/// Writes into `results` whether each operation's signature verifies, by
/// batches (see [`Ledger::verify_all`]).
fn verify_slice(operations: &[Operation], results: &mut [bool]) {
    if operations.len() <= VERIFY_ONE_BY_ONE_MAX {
        for (operation, result) in operations.iter().zip(results.iter_mut()) {
            *result = signature_ok(true, operation);
        }
        return;
    }
    let signed = operations.iter().filter_map(|operation| match operation {
        Operation::Submit(signed) => Some(signed),
        _ => None,
    });
    if signature::verify_batch(signed).is_ok() {
        results.fill(true);
        return;
    }
    let middle = operations.len() / 2;
    let (first_operations, second_operations) = operations.split_at(middle);
    let (first_results, second_results) = results.split_at_mut(middle);
    verify_slice(first_operations, first_results);
    verify_slice(second_operations, second_results);
}

// The helpers below, and the lookups above, build their rejection only in
// the branch that refuses. `Option::ok_or(rejection)` builds it first and
// then drops it, and a `Rejection` has drop glue (some variants own
// strings): that was a call of about 28 instructions, twice a payment.

/// Adds to a balance, refusing results beyond the amount range.
fn add_balance(balance: i128, change: i128) -> Result<i128, Rejection> {
    match balance.checked_add(change) {
        Some(sum) if (-MINOR_UNITS_MAX..=MINOR_UNITS_MAX).contains(&sum) => Ok(sum),
        _ => Err(Rejection::Overflow { what: "balance" }),
    }
}

/// Subtracts from a balance; the result may be below the amount range (a
/// credit floor decides), but not below that of `i128`.
fn subtract_from_balance(balance: i128, amount: i128) -> Result<i128, Rejection> {
    match balance.checked_sub(amount) {
        Some(difference) => Ok(difference),
        None => Err(Rejection::Overflow { what: "balance" }),
    }
}

/// Adds to the lifetime issued total, which is held to the range of one
/// amount.
fn add_issued(issued: i128, amount: i128) -> Result<i128, Rejection> {
    match issued.checked_add(amount) {
        Some(total) if total <= MINOR_UNITS_MAX => Ok(total),
        _ => Err(Rejection::Overflow { what: "issued total" }),
    }
}

/// Adds to a running total, which may exceed the range of one amount but not
/// that of `i128`.
fn add_total(total: i128, change: i128, what: &'static str) -> Result<i128, Rejection> {
    match total.checked_add(change) {
        Some(sum) => Ok(sum),
        None => Err(Rejection::Overflow { what }),
    }
}
