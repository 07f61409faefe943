//! Shared helpers for the ledger's integration tests.
//!
//! Currencies are built from TOML text, the way a community writes them, so
//! that every test goes through the same loading and validation as a real
//! currency file. Keys are deterministic: account `n` is owned by
//! `SigningKey::from_bytes(&[n; 32])`, so a test never needs a random
//! source. [`World`] keeps a ledger together with those keys and the next
//! sequence number of every account, so that a correct transaction takes
//! one line and a test spells out only what it gets wrong on purpose.
//!
//! Each test file uses a different part of this module, hence the
//! `dead_code` allowance; helpers outside `#[test]` functions may unwrap,
//! since a broken fixture should stop the test at once.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use opencoin_core::ed25519_dalek::SigningKey;
use opencoin_core::{
    AccountId, AccountKind, Action, Amount, CurrencyCode, CurrencySpec, Location, SectorCode,
    SignedTransaction, Timestamp, Transaction,
};
use opencoin_ledger::{
    Event, EventLog, Ledger, LedgerConfig, OpenAccount, Operation, Receipt, Rejection, SubscriberId,
};

/// Every test currency has two decimals: 1.00 is 100 minor units.
pub const DECIMALS: u8 = 2;

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// 2026-01-01T00:00:00Z, the day the test worlds start.
pub const T0: u64 = 1_767_225_600;

/// Where the test village is: its perimeter is a circle of [`RADIUS_KM`]
/// around this point.
pub const CENTER: (f64, f64) = (46.5, 6.6);

/// The radius of the test village's perimeter.
pub const RADIUS_KM: f64 = 10.0;

/// A place about 167 km north of the centre, far outside the perimeter.
pub const FAR_AWAY: (f64, f64) = (48.0, 6.6);

/// The time `days` whole days after [`T0`].
pub fn day(days: u64) -> Timestamp {
    Timestamp(T0 + days * DAY)
}

/// The deterministic key with the given seed byte.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// The key that owns account `id` in the test worlds.
pub fn owner_key(id: u64) -> SigningKey {
    let seed = u8::try_from(id % 256).unwrap();
    key(seed)
}

/// A public key written as 64 lowercase hex digits, as currency files want.
pub fn hex(key: &SigningKey) -> String {
    key.verifying_key().as_bytes().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A currency code.
pub fn code(text: &str) -> CurrencyCode {
    CurrencyCode::new(text).unwrap()
}

/// An amount with the test currencies' two decimals, from text.
pub fn amount(text: &str) -> Amount {
    Amount::parse(text, DECIMALS).unwrap()
}

/// An amount with the test currencies' two decimals, from minor units.
pub fn minor(units: i128) -> Amount {
    Amount::from_minor_units(units, DECIMALS).unwrap()
}

/// A location from `(latitude, longitude)`.
pub fn place((latitude, longitude): (f64, f64)) -> Location {
    Location::new(latitude, longitude).unwrap()
}

/// Reads and validates a currency file, panicking with the file's text if
/// the fixture itself is wrong.
pub fn spec(toml: &str) -> CurrencySpec {
    CurrencySpec::from_toml_str(toml).unwrap_or_else(|error| {
        panic!("test currency file is invalid: {error}\n--- file ---\n{toml}")
    })
}

// ----- currency file fragments -------------------------------------------------------
//
// A file is the header (code, name, decimals and the supply table) followed
// by any number of `[[accounts]]` and `[[rules]]` blocks; concatenate the
// fragments in that order.

/// The header of an issued currency whose one issuer key is `issuer`.
pub fn issued(code: &str, issuer: &SigningKey, cap: Option<&str>) -> String {
    let cap = cap.map(|cap| format!("cap = \"{cap}\"\n")).unwrap_or_default();
    format!(
        "code = \"{code}\"\nname = \"{code} test money\"\ndecimals = {DECIMALS}\n\n\
         [supply]\npolicy = \"issued\"\nissuers = [\"{}\"]\n{cap}\n",
        hex(issuer)
    )
}

/// The header of a mutual-credit currency; `enforcement` is `hard` or `soft`.
pub fn mutual_credit(code: &str, credit_limit: &str, enforcement: &str) -> String {
    format!(
        "code = \"{code}\"\nname = \"{code} test credit\"\ndecimals = {DECIMALS}\n\n\
         [supply]\npolicy = \"mutual_credit\"\ncredit_limit = \"{credit_limit}\"\n\
         enforcement = \"{enforcement}\"\n\n"
    )
}

/// The header of a basic-income currency paying `amount` per `period`.
pub fn basic_income(code: &str, amount: &str, period: &str) -> String {
    format!(
        "code = \"{code}\"\nname = \"{code} test income\"\ndecimals = {DECIMALS}\n\n\
         [supply]\npolicy = \"basic_income\"\namount = \"{amount}\"\nperiod = \"{period}\"\n\n"
    )
}

/// An account declared in a currency file, owned by [`owner_key`]`(id)`
/// and located at [`CENTER`].
pub fn declared_account(id: u64, kind: &str, opening_balance: &str) -> String {
    format!(
        "[[accounts]]\nid = {id}\nkind = \"{kind}\"\nowner = \"{}\"\n\
         location = [{}, {}]\nopening_balance = \"{opening_balance}\"\n\n",
        hex(&owner_key(id)),
        CENTER.0,
        CENTER.1
    )
}

/// Where a demurrage rule sends what melts.
#[derive(Debug, Clone, Copy)]
pub enum MeltTo {
    /// Credited to this declared account.
    Fund(u64),
    /// Destroyed.
    Burn,
}

/// A demurrage rule: `rate` per `period`, compounded every `step`
/// (`minute`, `hour`, `day` or `period`), sparing issuer accounts.
pub fn demurrage_rule(rate: &str, period: &str, step: &str, to: MeltTo) -> String {
    let destination = match to {
        MeltTo::Fund(id) => format!("{{ account = {id} }}"),
        MeltTo::Burn => "\"burn\"".to_owned(),
    };
    format!(
        "[[rules]]\nkind = \"demurrage\"\nrate = \"{rate}\"\nperiod = \"{period}\"\n\
         step = \"{step}\"\ndestination = {destination}\nexempt = {{ kinds = [\"issuer\"] }}\n\n"
    )
}

/// A perimeter rule: a circle of [`RADIUS_KM`] around [`CENTER`] for payer
/// and payee, sparing issuer and fund accounts.
pub fn perimeter_rule() -> String {
    format!(
        "[[rules]]\nkind = \"perimeter\"\nname = \"stays in the village\"\n\
         area = {{ circle = {{ center = [{}, {}], radius_km = {RADIUS_KM} }} }}\n\
         exempt = {{ kinds = [\"issuer\", \"fund\"] }}\n\n",
        CENTER.0, CENTER.1
    )
}

/// A sector rule banning payments into fuel dealers (merchant category
/// code 5983).
pub fn fuel_ban_rule() -> String {
    "[[rules]]\nkind = \"sectors\"\nname = \"no fossil fuel\"\nmode = \"ban\"\n\
     codes = [\"5983\"]\ndirection = \"paying_into\"\nreason = \"pay for fuel in euros\"\n\n"
        .to_owned()
}

/// A balance ceiling, sparing fund accounts.
pub fn ceiling_rule(max: &str) -> String {
    format!(
        "[[rules]]\nkind = \"balance_ceiling\"\nname = \"no hoarding\"\nmax = \"{max}\"\n\
         exempt = {{ kinds = [\"fund\"] }}\n\n"
    )
}

/// A limit on any single payment.
pub fn payment_max_rule(max: &str) -> String {
    format!("[[rules]]\nkind = \"payment_max\"\nname = \"everyday payments\"\nmax = \"{max}\"\n\n")
}

// ----- the world ---------------------------------------------------------------------

/// A ledger with an [`EventLog`] subscribed, the key of every account and
/// the sequence number each account's next transaction must carry.
pub struct World {
    /// The ledger under test.
    pub ledger: Ledger,
    /// The subscribed event log.
    pub log: SubscriberId,
    keys: BTreeMap<AccountId, SigningKey>,
    next_sequence: BTreeMap<AccountId, u64>,
}

impl Default for World {
    fn default() -> World {
        World::new()
    }
}

impl World {
    /// An empty ledger with default configuration and an event log.
    pub fn new() -> World {
        let mut ledger = Ledger::new(LedgerConfig::default());
        let log = ledger.subscribe(Box::new(EventLog::default()));
        World { ledger, log, keys: BTreeMap::new(), next_sequence: BTreeMap::new() }
    }

    /// Creates a currency from its file; its declared accounts are owned by
    /// [`owner_key`] of their ids. Panics if the ledger refuses.
    pub fn create(&mut self, toml: &str, at: Timestamp) -> CurrencyCode {
        let spec = spec(toml);
        let currency = spec.code;
        for declared in &spec.accounts {
            self.keys.insert(declared.id, owner_key(declared.id.0));
        }
        let operation = Operation::CreateCurrency { spec: Box::new(spec), at };
        self.ledger.apply(&operation).unwrap_or_else(|error| panic!("create {currency}: {error}"));
        currency
    }

    /// The operation opening account `id`, owned by [`owner_key`]`(id)`.
    pub fn open_request(
        &self,
        id: u64,
        currency: &str,
        kind: AccountKind,
        location: Option<(f64, f64)>,
        sectors: &[&str],
        at: Timestamp,
    ) -> Operation {
        Operation::OpenAccount(OpenAccount {
            id: AccountId(id),
            currency: code(currency),
            owner: owner_key(id).verifying_key(),
            kind,
            location: location.map(place),
            sectors: sectors.iter().map(|sector| SectorCode::new(sector).unwrap()).collect(),
            at,
        })
    }

    /// Opens account `id`. Panics if the ledger refuses.
    pub fn open(
        &mut self,
        id: u64,
        currency: &str,
        kind: AccountKind,
        location: Option<(f64, f64)>,
        sectors: &[&str],
        at: Timestamp,
    ) {
        let operation = self.open_request(id, currency, kind, location, sectors, at);
        self.ledger.apply(&operation).unwrap_or_else(|error| panic!("open {id}: {error}"));
        self.keys.insert(AccountId(id), owner_key(id));
    }

    /// The currency account `id` holds.
    pub fn currency_of(&self, id: u64) -> CurrencyCode {
        self.ledger.account_info(AccountId(id)).unwrap().currency
    }

    /// The sequence number account `id`'s next transaction must carry, as
    /// this world has counted applied transactions.
    pub fn next_sequence(&self, id: u64) -> u64 {
        self.next_sequence.get(&AccountId(id)).copied().unwrap_or(0)
    }

    /// The unsigned transaction from `source` with the right currency and
    /// sequence number.
    pub fn unsigned(&self, source: u64, at: Timestamp, action: Action) -> Transaction {
        self.unsigned_with_sequence(source, self.next_sequence(source), at, action)
    }

    /// The unsigned transaction from `source` with the given sequence number.
    pub fn unsigned_with_sequence(
        &self,
        source: u64,
        sequence: u64,
        at: Timestamp,
        action: Action,
    ) -> Transaction {
        Transaction {
            currency: self.currency_of(source),
            source: AccountId(source),
            sequence,
            timestamp: at,
            action,
            memo: String::new(),
        }
    }

    /// A correctly signed transaction from `source` with its next sequence
    /// number. Nothing is applied.
    pub fn tx(&self, source: u64, at: Timestamp, action: Action) -> SignedTransaction {
        self.sign(self.unsigned(source, at, action))
    }

    /// A correctly signed transaction from `source` with the given sequence
    /// number, for batches and for sequence errors.
    pub fn tx_with_sequence(
        &self,
        source: u64,
        sequence: u64,
        at: Timestamp,
        action: Action,
    ) -> SignedTransaction {
        self.sign(self.unsigned_with_sequence(source, sequence, at, action))
    }

    /// Signs with the key of the transaction's source account.
    pub fn sign(&self, transaction: Transaction) -> SignedTransaction {
        let key = &self.keys[&transaction.source];
        transaction.sign(key).unwrap()
    }

    /// Applies a signed transaction; counts the sequence number as used if
    /// it was applied.
    pub fn submit(&mut self, signed: &SignedTransaction) -> Result<Receipt, Rejection> {
        let result = self.ledger.apply(&Operation::Submit(signed.clone()));
        if let Ok(Receipt::Applied { .. }) = result {
            self.note_applied(signed);
        }
        result
    }

    /// Records that `signed` was applied (by a batch, for example).
    pub fn note_applied(&mut self, signed: &SignedTransaction) {
        let transaction = signed.transaction();
        self.next_sequence.insert(transaction.source, transaction.sequence + 1);
    }

    /// Applies any operation as is.
    pub fn apply(&mut self, operation: &Operation) -> Result<Receipt, Rejection> {
        self.ledger.apply(operation)
    }

    /// `from` pays `to` the amount written as text.
    pub fn transfer(
        &mut self,
        from: u64,
        to: u64,
        text: &str,
        at: Timestamp,
    ) -> Result<Receipt, Rejection> {
        let signed =
            self.tx(from, at, Action::Transfer { to: AccountId(to), amount: amount(text) });
        self.submit(&signed)
    }

    /// The issuer account `issuer` issues the amount to `to`.
    pub fn issue(
        &mut self,
        issuer: u64,
        to: u64,
        text: &str,
        at: Timestamp,
    ) -> Result<Receipt, Rejection> {
        let signed = self.tx(issuer, at, Action::Issue { to: AccountId(to), amount: amount(text) });
        self.submit(&signed)
    }

    /// `from` redeems the amount.
    pub fn redeem(&mut self, from: u64, text: &str, at: Timestamp) -> Result<Receipt, Rejection> {
        let signed = self.tx(from, at, Action::Redeem { amount: amount(text) });
        self.submit(&signed)
    }

    /// The balance of `id` at `at`, demurrage included, as text.
    pub fn balance(&self, id: u64, at: Timestamp) -> String {
        self.ledger.balance(AccountId(id), at).unwrap().balance.to_string()
    }

    /// Every event published so far.
    pub fn events(&self) -> &[Event] {
        &self.ledger.subscriber::<EventLog>(self.log).unwrap().events
    }
}

/// The receipt of an applied operation that passed no soft limit.
pub fn applied() -> Result<Receipt, Rejection> {
    Ok(Receipt::Applied { warning: None })
}

/// Pairs another body with the signer key and signature of `signed`, as a
/// tamperer on the wire would: the signature no longer covers the body.
pub fn with_body_replaced(signed: &SignedTransaction, body: &Transaction) -> SignedTransaction {
    let mut wire = body.to_bytes().unwrap();
    wire.extend_from_slice(signed.signer().as_bytes());
    wire.extend_from_slice(&signed.signature().to_bytes());
    SignedTransaction::decode(&wire).unwrap()
}

/// Replaces the signer key of a signed transaction with `pretend`, keeping
/// the signature made by the real signer: the wire form is the body, the
/// 32-byte signer key and the 64-byte signature.
pub fn with_signer_swapped(signed: &SignedTransaction, pretend: &SigningKey) -> SignedTransaction {
    let mut wire = signed.to_bytes().unwrap();
    let signer_at = wire.len() - 96;
    wire[signer_at..signer_at + 32].copy_from_slice(pretend.verifying_key().as_bytes());
    SignedTransaction::decode(&wire).unwrap()
}
