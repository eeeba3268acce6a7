;; Stage 1 of the CSV tokenizer (structural.ts loads it): the positions of the structural bytes of a
;; slice of input, 32 bytes at a time with SIMD. Compiled by test/unit/core/csv/structural-wasm.test.ts
;; (wabt), which also checks that structural-wasm.ts holds exactly these bytes.
(module
  (memory (export "memory") 6)
  ;; index(start, end, out, base, a, b, c, d) -> positions written
  ;; Writes, as u32 at `out` on, `base + p` for every byte position p in [start, end) whose byte equals
  ;; a, b, c or d, in order. Reads up to 31 bytes past `end` and writes up to 4 positions past the last
  ;; (the caller leaves room; they are ignored).
  (func (export "index")
    (param $p i32) (param $end i32) (param $out i32) (param $base i32)
    (param $a i32) (param $b i32) (param $c i32) (param $d i32)
    (result i32)
    (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128) (local $v v128) (local $w v128)
    (local $m i32) (local $o i32) (local $at i32) (local $n i32) (local $q i32)
    (local.set $va (i8x16.splat (local.get $a)))
    (local.set $vb (i8x16.splat (local.get $b)))
    (local.set $vc (i8x16.splat (local.get $c)))
    (local.set $vd (i8x16.splat (local.get $d)))
    (local.set $o (local.get $out))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load (local.get $p)))
        (local.set $w (v128.load offset=16 (local.get $p)))
        (local.set $m
          (i32.or
            (i8x16.bitmask
              (v128.or
                (v128.or (i8x16.eq (local.get $v) (local.get $va)) (i8x16.eq (local.get $v) (local.get $vb)))
                (v128.or (i8x16.eq (local.get $v) (local.get $vc)) (i8x16.eq (local.get $v) (local.get $vd)))))
            (i32.shl
              (i8x16.bitmask
                (v128.or
                  (v128.or (i8x16.eq (local.get $w) (local.get $va)) (i8x16.eq (local.get $w) (local.get $vb)))
                  (v128.or (i8x16.eq (local.get $w) (local.get $vc)) (i8x16.eq (local.get $w) (local.get $vd)))))
              (i32.const 16))))
        ;; The last block: only the bytes before `end`.
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 32))
          (then
            (local.set $m
              (i32.and (local.get $m)
                (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
        (local.set $at (i32.add (local.get $base) (local.get $p)))
        (local.set $n (i32.popcnt (local.get $m)))
        ;; Four positions written whatever the count (a block holds two on average): no branch to
        ;; mispredict; those past the count are overwritten or ignored.
        (i32.store (local.get $o) (i32.add (local.get $at) (i32.ctz (local.get $m))))
        (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
        (i32.store offset=4 (local.get $o) (i32.add (local.get $at) (i32.ctz (local.get $m))))
        (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
        (i32.store offset=8 (local.get $o) (i32.add (local.get $at) (i32.ctz (local.get $m))))
        (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
        (i32.store offset=12 (local.get $o) (i32.add (local.get $at) (i32.ctz (local.get $m))))
        (if (i32.gt_u (local.get $n) (i32.const 4))
          (then
            (local.set $q (i32.add (local.get $o) (i32.const 16)))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            (block $none
              (loop $bits
                (br_if $none (i32.eqz (local.get $m)))
                (i32.store (local.get $q) (i32.add (local.get $at) (i32.ctz (local.get $m))))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
                (br $bits)))))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $blocks)))
    (i32.shr_u (i32.sub (local.get $o) (local.get $out)) (i32.const 2)))
)
