//! Prefixed random ids (`sub_…`, `dlv_…`): the prefix tells a reader what an id names.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    get_random_values(&mut buf);
    buf
}

pub fn new_id(prefix: &str) -> String {
    let hex: String = random_bytes::<12>().iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}
