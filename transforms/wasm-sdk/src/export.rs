//! [`export_transform!`](crate::export_transform): turns a [`Transform`] into the component's
//! `sluice:transform/plugin` export.
//!
//! The WIT functions are free functions, but a transform is a value built by `init`; the macro
//! keeps that value in a thread-local declared in the plugin crate (one per exported type, and a
//! component instance has a single thread). The logic lives in [`init`] and [`transform`] below so
//! it is ordinary, testable code; the macro only wires it to the bindings.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::{Config, Transform, run_batch};

/// Where the macro keeps the transform between calls.
pub type State<T> = LocalKey<RefCell<Option<T>>>;

/// The `init` export: builds the transform and stores it, replacing any previous one, so a host
/// that re-initialises an instance gets a transform with the new settings.
pub fn init<T: Transform>(
    state: &'static State<T>,
    config: Vec<(String, String)>,
) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    report_panics_to_host();
    // Drop the old transform first: two need not fit in memory at once.
    state.with_borrow_mut(|s| *s = None);
    let plugin = T::init(&Config::from(config))?;
    state.with_borrow_mut(|s| *s = Some(plugin));
    Ok(())
}

/// Sends a panic's message and location to the host log at error level.
///
/// A panic in a component aborts, which the host sees as a bare trap; the message is what tells
/// the operator which record or setting the plugin choked on. It goes to the log import rather
/// than stderr because the host is not obliged to link stderr anywhere useful.
#[cfg(target_arch = "wasm32")]
fn report_panics_to_host() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            crate::log(crate::Level::Error, &format!("plugin {info}"));
        }));
    });
}

/// The `transform` export.
pub fn transform<T: Transform>(
    state: &'static State<T>,
    batch: Vec<u8>,
) -> Result<Vec<u8>, String> {
    state.with_borrow_mut(|s| match s {
        Some(plugin) => run_batch(plugin, &batch),
        None => Err("transform called before init".to_owned()),
    })
}

/// Exports a [`Transform`] as the plugin's `init` and `transform` functions.
///
/// Use it once, at the top level of the plugin crate:
///
/// ```
/// # use sluice_transform_sdk::{Config, Outcome, RecordRef, Transform};
/// # struct MyTransform;
/// # impl Transform for MyTransform {
/// #     fn init(_: &Config) -> Result<Self, String> { Ok(MyTransform) }
/// #     fn transform<'a>(&mut self, _: RecordRef<'a>) -> Outcome<'a> { Outcome::Keep }
/// # }
/// sluice_transform_sdk::export_transform!(MyTransform);
/// ```
///
/// In a `wasm32` build it implements the generated `sluice:transform/plugin` guest trait on a
/// hidden type whose functions call [`init`] and [`transform`] with a thread-local holding the
/// transform, and emits the component's exports and type information. In a native build (unit
/// tests) there is nothing to export; it only checks that the type implements [`Transform`].
#[macro_export]
macro_rules! export_transform {
    ($ty:ty) => {
        // The `cfg`s are evaluated in the plugin crate, which is built for the same target as
        // this one, so `$crate::bindings` is only named where it exists.
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            ::std::thread_local! {
                static STATE: ::std::cell::RefCell<::std::option::Option<$ty>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }

            struct SluiceGuest;

            impl $crate::bindings::exports::sluice::transform::plugin::Guest for SluiceGuest {
                fn init(
                    config: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::init::<$ty>(&STATE, config)
                }

                fn transform(
                    batch: ::std::vec::Vec<u8>,
                ) -> ::std::result::Result<::std::vec::Vec<u8>, ::std::string::String> {
                    $crate::__private::transform::<$ty>(&STATE, batch)
                }
            }

            $crate::bindings::__export_sluice_transform!(SluiceGuest with_types_in $crate::bindings);
        };

        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            fn assert_transform<T: $crate::Transform>() {}
            let _ = assert_transform::<$ty>;
        };
    };
}
