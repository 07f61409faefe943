//! Reading canonical bytes that may come from anyone: a cursor whose every
//! read is bounds-checked, so that a short or malformed input is an error
//! naming the field and offset, never a panic.
//!
//! Transactions ([`crate::tx`]) and the ledger's journal read their
//! encodings with it; both are big-endian with explicit lengths.

use thiserror::Error;

/// The input ends before a field does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("bytes end at offset {offset} in the middle of the {field}")]
pub struct Truncated {
    /// Where the missing field starts.
    pub offset: usize,
    /// Which field.
    pub field: &'static str,
}

/// A cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> ByteReader<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> ByteReader<'a> {
        ByteReader { bytes, offset: 0 }
    }

    /// How many bytes have been read.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.offset)
    }

    /// The next `len` bytes.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left; the cursor does not move then.
    pub fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], Truncated> {
        let end = self.offset.checked_add(len);
        let slice = end.and_then(|end| self.bytes.get(self.offset..end));
        let slice = slice.ok_or(Truncated { offset: self.offset, field })?;
        self.offset += len;
        Ok(slice)
    }

    /// Everything left, which may be nothing.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        self.offset = self.bytes.len();
        rest
    }

    /// The next `N` bytes as an array.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Truncated> {
        let slice = self.take(N, field)?;
        let mut out = [0_u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    /// The next byte.
    ///
    /// # Errors
    ///
    /// [`Truncated`] at the end of the input.
    pub fn u8(&mut self, field: &'static str) -> Result<u8, Truncated> {
        Ok(self.array::<1>(field)?[0])
    }

    /// The next two bytes, big-endian.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left.
    pub fn u16(&mut self, field: &'static str) -> Result<u16, Truncated> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// The next four bytes, big-endian.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left.
    pub fn u32(&mut self, field: &'static str) -> Result<u32, Truncated> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// The next eight bytes, big-endian.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left.
    pub fn u64(&mut self, field: &'static str) -> Result<u64, Truncated> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// The next sixteen bytes, big-endian two's complement.
    ///
    /// # Errors
    ///
    /// [`Truncated`] if fewer are left.
    pub fn i128(&mut self, field: &'static str) -> Result<i128, Truncated> {
        Ok(i128::from_be_bytes(self.array(field)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_refuses_short_input() {
        let mut reader = ByteReader::new(&[0, 1, 2, 3, 4]);
        assert_eq!(reader.u16("first"), Ok(1));
        assert_eq!(reader.u32("second"), Err(Truncated { offset: 2, field: "second" }));
        assert_eq!(reader.offset(), 2, "a failed read does not move the cursor");
        assert_eq!(reader.rest(), &[2, 3, 4]);
        assert_eq!(reader.remaining(), 0);
        assert_eq!(reader.take(usize::MAX, "huge"), Err(Truncated { offset: 5, field: "huge" }));
    }
}
