//! Files to data URLs, read by the browser's FileReader (it base64-encodes natively, which
//! is faster than doing it in wasm and keeps a base64 crate out of the download).

use leadform_core::validate::MAX_FILE_BYTES;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{File, FileReader, ProgressEvent};

/// The visitor-facing message for a file over the limit, before any upload.
pub fn too_large(file: &File) -> Option<String> {
    let size = file.size();
    // Tenths of a megabyte by integer arithmetic: float formatting would add ~14 KB of wasm.
    let tenths = (size * 10.0 / 1_048_576.0).round() as u64;
    (size > MAX_FILE_BYTES as f64)
        .then(|| format!("{} is {}.{} MB; files can be at most 5 MB.", file.name(), tenths / 10, tenths % 10))
}

/// Reads `file` as a `data:<type>;base64,...` URL, reporting progress from 0 to 100.
pub async fn read_data_url(
    file: &File,
    mut on_progress: impl FnMut(u32) + 'static,
) -> Result<String, String> {
    let reader = FileReader::new().map_err(|_| "this browser cannot read files".to_string())?;
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
    reader
        .read_as_data_url(file)
        .map_err(|_| format!("could not read {}", file.name()))?;
    wasm_bindgen_futures::JsFuture::from(done)
        .await
        .map_err(|_| format!("could not read {}", file.name()))?;
    reader.set_onprogress(None);
    drop(progress);
    let url = reader
        .result()
        .ok()
        .and_then(|r| r.as_string())
        .ok_or("the file came back empty")?;
    // An empty file reads as "data:" with no base64 part; give it one so the edge can parse it.
    Ok(if url.contains(";base64,") {
        url
    } else {
        format!("data:{};base64,", file.type_())
    })
}
