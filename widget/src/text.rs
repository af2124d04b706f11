//! Numbers as text without `core::fmt`: `format!`, `to_string()` on a number and
//! `{:x}` would link fmt's machinery (its `Formatter`, padding and `Arguments`, about 2 KB
//! brotli of the widget's download); the widget joins its strings with `concat()` instead.

/// `n` in decimal.
pub fn num(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().map(|&d| d as char).collect()
}

/// `bytes` as lowercase hexadecimal, two digits each.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn numbers_read_as_decimal() {
        for n in [0u64, 7, 10, 404, 5_242_880, u64::MAX] {
            assert_eq!(num(n), n.to_string());
        }
    }

    #[wasm_bindgen_test]
    fn bytes_read_as_two_hex_digits_each() {
        assert_eq!(hex(&[0, 9, 10, 171, 255]), "00090aabff");
        assert_eq!(hex(&[]), "");
    }
}
