//! A bounds-checked big-endian byte reader used by every parser in this crate.
//!
//! Protocol specifications (Modbus Application Protocol V1.1b3 §4.2, MQTT 3.1.1 §1.5 and
//! MQTT 5.0 §1.5) encode integers in network byte order; this reader is the only place where
//! the crate indexes into a slice, so every read is checked against the remaining input and a
//! short read reports how many bytes were missing instead of panicking.

/// A read ran past the end of the input; the value is how many more bytes were needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short(pub(crate) usize);

/// A cursor over a borrowed byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// Number of bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Take the next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if n > self.buf.len() {
            return Err(Short(n - self.buf.len()));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Take everything that is left.
    pub(crate) fn take_rest(&mut self) -> &'a [u8] {
        let all = self.buf;
        self.buf = &[];
        all
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8, Short> {
        match self.buf.split_first() {
            Some((&b, tail)) => {
                self.buf = tail;
                Ok(b)
            }
            None => Err(Short(1)),
        }
    }

    /// A big-endian `u16`.
    pub(crate) fn be_u16(&mut self) -> Result<u16, Short> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian `u32`.
    pub(crate) fn be_u32(&mut self) -> Result<u32, Short> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::{Reader, Short};

    #[test]
    fn short_reads_report_the_missing_count_and_do_not_advance() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.be_u16(), Ok(0x0102));
        assert_eq!(r.be_u32(), Err(Short(3)));
        assert_eq!(r.take(3), Err(Short(2)));
        assert_eq!(r.u8(), Ok(3));
        assert_eq!(r.u8(), Err(Short(1)));
        assert!(r.is_empty());
    }
}
