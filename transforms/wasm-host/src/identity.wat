;; A Sluice transform plugin that keeps every record, written directly against the component
;; model so it needs no toolchain. Memory is a bump allocator reset after every call.
(component
  (core module $m
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))

    ;; cabi_realloc(old_ptr, old_size, align, new_size) -> ptr
    (func $realloc (export "realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
      (local $ptr i32) (local $end i32) (local $have i32)
      (local.set $ptr
        (i32.and
          (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get $align))))
      (local.set $end (i32.add (local.get $ptr) (local.get $size)))
      (local.set $have (i32.mul (memory.size) (i32.const 65536)))
      (if (i32.gt_u (local.get $end) (local.get $have))
        (then
          (if (i32.eq
                (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $have)) (i32.const 16)) (i32.const 1)))
                (i32.const -1))
            (then unreachable))))
      (global.set $next (local.get $end))
      (if (local.get $old_size)
        (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
      (local.get $ptr))

    ;; init(config) -> result<_, string>: always ok.
    (func (export "init") (param i32 i32) (result i32)
      (i32.store8 (i32.const 0) (i32.const 0))
      (i32.const 0))

    ;; transform(batch) -> result<list<u8>, string>: u32 count, then count KEEP tags (0).
    (func (export "transform") (param $ptr i32) (param $len i32) (result i32)
      (local $count i32) (local $out i32) (local $size i32)
      (local.set $count (i32.load (local.get $ptr)))
      (local.set $size (i32.add (local.get $count) (i32.const 4)))
      (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 1) (local.get $size)))
      (i32.store (local.get $out) (local.get $count))
      (memory.fill (i32.add (local.get $out) (i32.const 4)) (i32.const 0) (local.get $count))
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.store (i32.const 20) (local.get $out))
      (i32.store (i32.const 24) (local.get $size))
      (i32.const 16))

    ;; post-return: what the call allocated is no longer needed.
    (func (export "reset") (param i32)
      (global.set $next (i32.const 1024)))
  )
  (core instance $i (instantiate $m))
  (func $init (param "config" (list (tuple string string))) (result (result (error string)))
    (canon lift (core func $i "init") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))
      (post-return (core func $i "reset"))))
  (func $transform (param "batch" (list u8)) (result (result (list u8) (error string)))
    (canon lift (core func $i "transform") (memory (core memory $i "memory")) (realloc (core func $i "realloc"))
      (post-return (core func $i "reset"))))
  (instance $plugin
    (export "init" (func $init))
    (export "transform" (func $transform)))
  (export "sluice:transform/plugin@1.0.0" (instance $plugin))
)
