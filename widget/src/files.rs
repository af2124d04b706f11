//! Files to data URLs, read by the browser's FileReader (it base64-encodes natively, which
//! is faster than doing it in wasm and keeps a base64 crate out of the download).

use crate::i18n::tf;
use crate::text::num;
use leadform_core::locale::T;
use leadform_core::validate::MAX_FILE_BYTES;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, FileReader, ProgressEvent};

/// The visitor-facing message for a file over the limit, before any upload.
pub fn too_large(file: &File) -> Option<String> {
    let size = file.size();
    // Tenths of a megabyte by integer arithmetic: float formatting would add ~14 KB of wasm.
    // Rounded up: a file a byte over the limit is "5.1 MB", never "5.0 MB; at most 5 MB".
    let tenths = (size * 10.0 / 1_048_576.0).ceil() as u64;
    (size > MAX_FILE_BYTES as f64).then(|| {
        // A decimal comma where the visitor's language writes one.
        let point = match crate::i18n::code() {
            "de" | "fr" | "es" | "pt" => ',',
            _ => '.',
        };
        let size = [num(tenths / 10), point.into(), num(tenths % 10)].concat();
        tf(T::TooLarge, &[&file.name(), &size])
    })
}

/// Reads `file` as a `data:<type>;name=<name>;base64,...` URL, reporting progress from 0
/// to 100.
pub async fn read_data_url(
    file: &File,
    mut on_progress: impl FnMut(u32) + 'static,
) -> Result<String, String> {
    let failed = |_| tf(T::NoRead, &[&file.name()]);
    let reader = FileReader::new().map_err(failed)?;
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        reader.set_onload(Some(&resolve));
        reader.set_onerror(Some(&reject));
    });
    let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            on_progress((e.loaded() / e.total() * 100.0) as u32);
        }
    });
    reader.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    reader.read_as_data_url(file).map_err(failed)?;
    wasm_bindgen_futures::JsFuture::from(done).await.map_err(failed)?;
    reader.set_onprogress(None);
    drop(progress);
    let url = reader
        .result()
        .ok()
        .and_then(|r| r.as_string())
        .ok_or_else(|| tf(T::NoRead, &[&file.name()]))?;
    // An empty file reads as "data:" with no base64 part; give it one so the edge can parse it.
    let declared = file.type_();
    let (meta, data) = url
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(','))
        .and_then(|(meta, data)| Some((meta.strip_suffix(";base64")?, data)))
        .unwrap_or((&declared, ""));
    // FileReader leaves the name out; RFC 2397 carries it as a parameter.
    let name = crate::js::uri_component(&file.name());
    Ok(["data:", meta, ";name=", &name, ";base64,", data].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn file_of(bytes: usize, name: &str, kind: &str) -> File {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::new_with_length(bytes as u32));
        let options = web_sys::FilePropertyBag::new();
        options.set_type(kind);
        File::new_with_u8_array_sequence_and_options(&parts, name, &options).unwrap()
    }

    #[wasm_bindgen_test]
    fn files_over_five_megabytes_are_refused_before_reading() {
        let big = file_of(MAX_FILE_BYTES + 1, "deck.pdf", "application/pdf");
        assert_eq!(
            too_large(&big).unwrap(),
            "deck.pdf is 5.1 MB; files can be at most 5 MB."
        );
        let bigger = file_of(6 * 1024 * 1024, "video.mp4", "video/mp4");
        assert_eq!(
            too_large(&bigger).unwrap(),
            "video.mp4 is 6.0 MB; files can be at most 5 MB."
        );
        assert!(too_large(&file_of(MAX_FILE_BYTES, "ok.pdf", "application/pdf")).is_none());
    }

    #[wasm_bindgen_test]
    async fn a_file_becomes_a_base64_data_url_with_progress() {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(&b"hello"[..]));
        let options = web_sys::FilePropertyBag::new();
        options.set_type("text/plain");
        let file = File::new_with_u8_array_sequence_and_options(&parts, "hi there;1.txt", &options).unwrap();
        let last = Rc::new(Cell::new(0));
        let seen = last.clone();
        let url = read_data_url(&file, move |pct| seen.set(pct)).await.unwrap();
        assert_eq!(url, "data:text/plain;name=hi%20there%3B1.txt;base64,aGVsbG8=");
        assert_eq!(last.get(), 100);
        let empty = read_data_url(&file_of(0, "empty.txt", "text/plain"), |_| {})
            .await
            .unwrap();
        assert_eq!(empty, "data:text/plain;name=empty.txt;base64,");
    }
}
