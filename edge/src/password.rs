//! Password hashing through the runtime's WebCrypto (`crypto.subtle.deriveBits`, PBKDF2 with
//! SHA-256): native code, so 100,000 iterations cost a few milliseconds instead of the
//! seconds a wasm implementation would take. The format and the policy are core's
//! (`leadform_core::signin`).

use crate::ids::random_bytes;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use leadform_core::signin::{PasswordHash, HASH_BYTES, PBKDF2_ITERATIONS, SALT_BYTES};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A new password's stored form, with a fresh salt.
pub async fn hash(password: &str) -> worker::Result<String> {
    let salt = random_bytes::<SALT_BYTES>().to_vec();
    let hash = derive(password, &salt, PBKDF2_ITERATIONS).await?;
    Ok(PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt,
        hash,
    }
    .encode())
}

/// Whether `password` matches the stored form. Unreadable stored text never matches.
pub async fn verify(password: &str, stored: &str) -> worker::Result<bool> {
    let Some(stored) = PasswordHash::parse(stored) else {
        return Ok(false);
    };
    let derived = derive(password, &stored.salt, stored.iterations).await?;
    Ok(stored.matches(&derived))
}

/// The same work as [`verify`] for an account that does not exist, so that the answer's
/// timing does not tell which emails have accounts.
pub async fn waste_time(password: &str) -> worker::Result<()> {
    derive(password, &[0; SALT_BYTES], PBKDF2_ITERATIONS)
        .await
        .map(|_| ())
}

async fn derive(password: &str, salt: &[u8], iterations: u32) -> worker::Result<Vec<u8>> {
    let subtle = Reflect::get(
        &Reflect::get(&js_sys::global(), &"crypto".into())?,
        &"subtle".into(),
    )?;
    let key = call(
        &subtle,
        "importKey",
        &[
            "raw".into(),
            Uint8Array::from(password.as_bytes()).into(),
            "PBKDF2".into(),
            false.into(),
            Array::of1(&"deriveBits".into()).into(),
        ],
    )
    .await?;
    let params = Object::new();
    Reflect::set(&params, &"name".into(), &"PBKDF2".into())?;
    Reflect::set(&params, &"hash".into(), &"SHA-256".into())?;
    Reflect::set(&params, &"salt".into(), &Uint8Array::from(salt).into())?;
    Reflect::set(&params, &"iterations".into(), &JsValue::from(iterations))?;
    let bits = call(
        &subtle,
        "deriveBits",
        &[params.into(), key, JsValue::from((HASH_BYTES * 8) as u32)],
    )
    .await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// `subtle[method](...args)`, awaited.
async fn call(subtle: &JsValue, method: &str, args: &[JsValue]) -> worker::Result<JsValue> {
    let function: Function = Reflect::get(subtle, &method.into())?.dyn_into()?;
    let promise: Promise = function
        .apply(subtle, &args.iter().collect::<Array>())?
        .dyn_into()?;
    Ok(JsFuture::from(promise).await?)
}
