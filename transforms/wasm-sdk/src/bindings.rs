//! The `sluice:transform` world's bindings, generated once here so plugins need neither the WIT
//! file nor a `wit-bindgen` dependency: `export_transform!` reaches them through `$crate`.

wit_bindgen::generate!({
    path: "wit",
    world: "transform",
    // The export macro expands in the plugin crate, so it must be reachable from there.
    pub_export_macro: true,
    export_macro_name: "__export_sluice_transform",
    default_bindings_module: "sluice_transform_sdk::bindings",
});
