"""The engine's compiled loops (numba): each walks the rows once in person order, carrying the person's
year-to-date in local variables, in int64 fen. The rounding is `engine._round` ported as is: num/den rounded
half up to a quantum of 1, 10 or 100 fen with Python's floor division (numba keeps its sign rules).

Compiled on first use and cached on disk (`cache=True`; the directory is NUMBA_CACHE_DIR, which
`nrcms.simulation` points at a temporary directory when it is unset), so a later process loads the machine
code instead of compiling it. `nogil=True`: a Dask worker's threads run them side by side."""

from __future__ import annotations

import ctypes
import mmap
import weakref

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True}
MSD_ROWS = 1 << 18  # from this many rows the sort goes by buckets of persons first (`_radix_msd`)
BUCKET_ROWS = 1 << 13  # rows of a bucket, about (128 KiB of order and keys: in the core's own cache)…
BUCKET_BITS = 8  # …in at most 2^8 buckets (the first pass writes to few places at once). Measured (the sort
#                  alone, carrying a column): 1 million rows 26 ms in one go (three LSD passes), 20 ms in 16
#                  buckets of 65,536 rows, 17 ms in 128 of 8,192; 10 million rows 0.29 s in 256 buckets,
#                  0.31 in 512, 0.34–0.41 in 1,024–4,096.


@njit(**JIT)
def round_q(num, den, quantum):
    """engine._round for one value: num/den fen rounded half up to `quantum` fen."""
    return (num * 2 + quantum * den) // (2 * quantum * den) * quantum


@njit(**JIT)
def pay_q(num, den, quantum, limit):
    """rules.rounding.pay (engine._pay) for one value."""
    if num <= 0 or limit <= 0:
        return 0
    return min(round_q(num, den, quantum), limit)


LARGE = 32 << 20  # bytes: from this size a working array or result column comes in ordinary pages (`fresh`)
_TRACE_DOMAIN = 389047  # numpy's tracemalloc domain: the arrays `fresh` maps count as numpy's memory
_track = ctypes.pythonapi.PyTraceMalloc_Track
_track.argtypes, _track.restype = [ctypes.c_uint, ctypes.c_size_t, ctypes.c_size_t], ctypes.c_int
_untrack = ctypes.pythonapi.PyTraceMalloc_Untrack
_untrack.argtypes, _untrack.restype = [ctypes.c_uint, ctypes.c_size_t], ctypes.c_int


def fresh(n: int) -> np.ndarray:
    """A zeroed int64 array of n rows, for a working array or a result column the engine writes whole.

    Below `LARGE`, numpy's (which asks the system for 2 MiB huge pages). From `LARGE` (4 million rows and
    more), an anonymous mapping in ordinary 4 KiB pages, all faulted in by the system in one call
    (MAP_POPULATE) instead of one fault a page: a huge page is cheaper when the system has one free, but a
    machine whose memory is fragmented first compacts memory to make one, and that stall varied here from
    0.01 to 0.17 CPU seconds per 80 MB column (10 million rows) against a steady 0.03 for ordinary pages;
    the first computation at 10 million rows spent 1.2–2.2 s in the system with huge pages and 0.55 s
    without. The mapping is reported to tracemalloc as numpy's memory (the benchmark's peak counts it)."""
    nbytes = n * 8
    if nbytes < LARGE or nbytes == 0 or not hasattr(mmap, "MAP_ANONYMOUS"):  # (Windows: numpy's)
        return np.zeros(n, np.int64)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
    mapping = mmap.mmap(-1, nbytes, flags=flags)
    array = np.frombuffer(mapping, np.int64)
    address = array.ctypes.data
    _track(_TRACE_DOMAIN, address, nbytes)
    weakref.finalize(mapping, _untrack, _TRACE_DOMAIN, address)
    return array


def _buffers(n: int, count: int) -> list[np.ndarray]:
    """Large working arrays are made outside the compiled loops (`fresh`)."""
    return [fresh(n) for _ in range(count)]


NO_CARRY = np.zeros(0, np.int64)  # no column carried through a sort


def radix_order(key: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """A stable least-significant-digit radix sort of non-negative int64 keys (≤ top): the rows' order and
    the keys in that order (`person_day_order` with the key given)."""
    return _radix(key, key, 1, 0, top, *_buffers(len(key), 4), NO_CARRY, NO_CARRY)[:2]


def person_day_order(person: np.ndarray, date: np.ndarray, span: int, first_day: int,
                     top: int, spare: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows by person, day and place in the frame, sorted on the key person × span + (date - first_day)
    (non-negative, ≤ top), which is made in the first pass, never stored in the frame's order: the order
    and the sorted keys. `spare`, a list: receives the sort's two other buffers (int64, n rows, touched,
    contents spent) for the caller to reuse."""
    return person_day_order_carrying(person, date, span, first_day, top, NO_CARRY, spare)[:2]


def person_day_order_carrying(person: np.ndarray, date: np.ndarray, span: int, first_day: int, top: int,
                              carry: np.ndarray, spare: list | None = None
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`person_day_order` carrying an int64 column (`carry`, frame order; empty: none) along with the rows:
    the order, the sorted keys and `carry` in the sorted order (`carry[order]`, empty when `carry` is), read
    forward in the sort's first pass and moved with the rows after, never gathered row by row. `spare`: as
    for `person_day_order`; its last buffer, if any (int64, n rows, contents spent), takes the carried column."""
    n = len(person)
    buffers = _buffers(n, 4)
    carried = NO_CARRY
    if len(carry):  # into a spent buffer of the caller's when there is one (touched memory), else a fresh one
        carried = spare.pop() if spare else fresh(n)
        buffers.append(carried)  # (the sort below `MSD_ROWS` rows may end in a buffer of its own instead)
    order, keys, carried = _person_day_sort(person, date, span, first_day, top, MSD_ROWS, BUCKET_ROWS,
                                            BUCKET_BITS, *buffers[:4], carry, buffers[4] if len(carry) else carried)
    if spare is not None:
        kept = (order.ctypes.data, keys.ctypes.data, carried.ctypes.data)
        spare.extend(b for b in buffers if b.ctypes.data not in kept)
    return order, keys, carried


@njit(**JIT)
def _person_day_sort(person, date, span, first_day, top, msd_rows, bucket_rows, bucket_bits, order, keys, other,
                     other_keys, carry, carried):
    """By buckets of persons first (`_radix_msd`) from `msd_rows` rows, else `_radix`: one compiled unit,
    so a small frame's first call (the warm-up) compiles or loads both."""
    if len(person) >= msd_rows:
        _radix_msd(person, date, span, first_day, top, bucket_rows, bucket_bits, order, keys, other, other_keys, carry,
                   carried)
        return order, keys, carried
    return _radix(person, date, span, first_day, top, order, keys, other, other_keys, carry, carried)


@njit(**JIT)
def _radix(person, date, span, first_day, top, order, keys, other, other_keys, carry, carried):
    """LSD radix sort of the keys person × span + (date - first_day) (with span 1 and first_day 0 and
    date = person: the keys themselves). As few passes as the key's bits need at 11 bits a pass (2,048
    buckets: the scattered writes stay in the cache), the digits of one width; each pass after the first
    reads the keys in the previous pass's order, carried along, never gathered. `carry` (frame order; empty:
    none) moves with the rows, ending in `carried` or a buffer of the loop's own (returned)."""
    n = len(person)
    has_carry = len(carry) > 0
    other_carried = np.empty(n if has_carry else 0, np.int64)
    bits = 1
    while (top >> bits) > 0:
        bits += 1
    passes = (bits + 10) // 11
    width = (bits + passes - 1) // passes
    mask = (1 << width) - 1
    count = np.empty(mask + 2, np.int64)
    same = span == 1 and first_day == 0
    for p in range(passes):
        shift = p * width
        count[:] = 0
        if p == 0:
            for i in range(n):
                k = person[i] if same else person[i] * span + (date[i] - first_day)
                count[((k >> shift) & mask) + 1] += 1
        else:
            for i in range(n):
                count[((keys[i] >> shift) & mask) + 1] += 1
        for d in range(1, mask + 2):
            count[d] += count[d - 1]
        for i in range(n):
            if p == 0:
                k = person[i] if same else person[i] * span + (date[i] - first_day)
                r = i
            else:
                k = keys[i]
                r = order[i]
            d = (k >> shift) & mask
            at = count[d]
            other[at] = r
            other_keys[at] = k
            if has_carry:
                other_carried[at] = carry[i] if p == 0 else carried[i]
            count[d] = at + 1
        order, other = other, order
        keys, other_keys = other_keys, keys
        carried, other_carried = other_carried, carried
    return order, keys, carried


@njit(**JIT)
def _radix_msd(person, date, span, first_day, top, bucket_rows, bucket_bits, order, keys, other, other_keys, carry,
               carried):
    """`_radix`'s order and keys in `order` and `keys`, by buckets of persons: one pass on the key's high
    bits (as many as make buckets of about `bucket_rows` rows, at most `bucket_bits`) puts each bucket's rows together,
    in the frame's order; then each bucket, small enough for the cache, is sorted on the remaining bits by
    `_radix`'s passes (11 bits at most a pass, the digits of one width) between `order`/`keys` and
    `other`/`other_keys`, ending in `order`/`keys`. Stable as `_radix`: the same order. At 10 million rows
    one pass goes through the memory instead of three. `carry` (frame order; empty: none) is read forward in
    the first pass and moved with the rows into `carried`, within a bucket through two scratch arrays of the
    largest bucket's size."""
    has_carry = len(carry) > 0
    n = len(person)
    bits = 1
    while (top >> bits) > 0:
        bits += 1
    hi = 0
    while hi < bits and hi < bucket_bits and (n >> hi) > bucket_rows:
        hi += 1
    low = bits - hi
    same = span == 1 and first_day == 0
    nb = 1 << hi
    start = np.zeros(nb + 1, np.int64)
    for i in range(n):
        k = person[i] if same else person[i] * span + (date[i] - first_day)
        start[(k >> low) + 1] += 1
    for d in range(1, nb + 1):
        start[d] += start[d - 1]
    at = start[:nb].copy()
    for i in range(n):
        k = person[i] if same else person[i] * span + (date[i] - first_day)
        d = k >> low
        j = at[d]
        order[j] = i
        keys[j] = k
        if has_carry:
            carried[j] = carry[i]
        at[d] = j + 1
    if low == 0:
        return
    largest = 0
    for b in range(nb):
        largest = max(largest, start[b + 1] - start[b])
    local_bits = 1
    while (1 << local_bits) < largest:
        local_bits += 1
    if low + local_bits <= 62:
        _sort_buckets_packed(order, keys, carried, has_carry, start, nb, low, local_bits, largest)
        return
    scratch_a = np.empty(largest if has_carry else 0, np.int64)
    scratch_b = np.empty(largest if has_carry else 0, np.int64)
    passes = (low + 10) // 11
    width = (low + passes - 1) // passes
    mask = (1 << width) - 1
    count = np.empty(mask + 2, np.int64)
    for b in range(nb):
        s, e = start[b], start[b + 1]
        if e - s <= 1:
            continue
        src_o, src_k, dst_o, dst_k = order, keys, other, other_keys
        src_c, dst_c = scratch_a, scratch_b
        if has_carry:
            for i in range(s, e):
                src_c[i - s] = carried[i]
        for p in range(passes):
            shift = p * width
            count[:] = 0
            for i in range(s, e):
                count[((src_k[i] >> shift) & mask) + 1] += 1
            count[0] = s
            for d in range(1, mask + 2):
                count[d] += count[d - 1]
            for i in range(s, e):
                k = src_k[i]
                d = (k >> shift) & mask
                j = count[d]
                dst_o[j] = src_o[i]
                dst_k[j] = k
                if has_carry:
                    dst_c[j - s] = src_c[i - s]
                count[d] = j + 1
            src_o, src_k, dst_o, dst_k = dst_o, dst_k, src_o, src_k
            src_c, dst_c = dst_c, src_c
        if passes % 2 == 1:
            for i in range(s, e):
                order[i] = other[i]
                keys[i] = other_keys[i]
        if has_carry:
            for i in range(s, e):
                carried[i] = src_c[i - s]


@njit(**JIT)
def _sort_buckets_packed(order, keys, carried, has_carry, start, nb, low, local_bits, largest):
    """`_radix_msd`'s sort within each bucket when a key's low bits and a row's place in its bucket fit in
    one int64 together: each row's low bits × 2^local_bits + place, sorted on the low bits only (11 bits at
    most a pass, the digits of one width, between two scratch arrays of the largest bucket's size); the
    places were in order before the first pass, so the sort is stable. Then the bucket's order and carried
    values are taken by place (from copies, in the cache) and its keys made again from the bucket's number
    (the high bits) and the low bits: one array moved a pass instead of three."""
    low_mask = (1 << low) - 1
    local_mask = (1 << local_bits) - 1
    passes = (low + 10) // 11
    width = (low + passes - 1) // passes
    mask = (1 << width) - 1
    count = np.empty(mask + 2, np.int64)
    a_buf = np.empty(largest, np.int64)
    b_buf = np.empty(largest, np.int64)
    order_copy = np.empty(largest, np.int64)
    carried_copy = np.empty(largest if has_carry else 0, np.int64)
    for b in range(nb):
        s, e = start[b], start[b + 1]
        size = e - s
        if size <= 1:
            continue
        for i in range(size):
            a_buf[i] = ((keys[s + i] & low_mask) << local_bits) | i
        src, dst = a_buf, b_buf
        for p in range(passes):
            shift = local_bits + p * width
            count[:] = 0
            for i in range(size):
                count[((src[i] >> shift) & mask) + 1] += 1
            for d in range(1, mask + 2):
                count[d] += count[d - 1]
            for i in range(size):
                v = src[i]
                d = (v >> shift) & mask
                dst[count[d]] = v
                count[d] += 1
            src, dst = dst, src
        for i in range(size):
            order_copy[i] = order[s + i]
        if has_carry:
            for i in range(size):
                carried_copy[i] = carried[s + i]
        high = b << low
        for j in range(size):
            v = src[j]
            place = v & local_mask
            order[s + j] = order_copy[place]
            keys[s + j] = high | (v >> local_bits)
            if has_carry:
                carried[s + j] = carried_copy[place]


def key_segments(skey: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys (person × span + day): each sorted row's person number (0, 1, …) and the persons' first
    sorted rows."""
    seg, firsts = _buffers(len(skey), 2)
    count = _key_segments(skey, span, seg, firsts)
    return seg, firsts[:count]


@njit(**JIT)
def _key_segments(skey, span, seg, firsts):
    n = len(skey)
    k = -1
    limit = -1  # the first key of the next person (a comparison a row, a division a person)
    for i in range(n):
        if skey[i] >= limit:
            k += 1
            firsts[k] = i
            limit = (skey[i] // span + 1) * span
        seg[i] = k
    return k + 1


@njit(**JIT)
def hash_ids(hashes, offset, keys, slot, count, index, first):
    """Rows offset, offset + 1, … (their 64-bit `hashes`) numbered by hash (0, 1, … in order of first
    appearance) into `index`, each new number's first row into `first`, through the open-addressing table
    `keys`/`slot` (2^bits slots, slot -1: free; kept between calls, `count` numbers so far) filled at most
    half: more distinct hashes than len(first) gives -1 (try a larger table). The count of numbers."""
    size = len(keys)
    mask = size - 1
    bits = 0
    while (1 << bits) < size:
        bits += 1
    shift = np.uint64(64 - bits)
    spread = np.uint64(0x9E3779B97F4A7C15)
    limit = len(first)
    k = count
    for i in range(len(hashes)):
        x = hashes[i]
        r = offset + i
        j = np.int64((x * spread) >> shift)  # the hash's top bits after a multiplicative spread
        while True:
            s = slot[j]
            if s < 0:
                if k >= limit:
                    return -1
                slot[j] = k
                keys[j] = x
                first[k] = r
                index[r] = k
                k += 1
                break
            if keys[j] == x:
                index[r] = s
                break
            j = (j + 1) & mask
    return k


@njit(**JIT)
def frame_rows(has_charges, inpatient, in_county, designated, referred, level, interim, days,
               refuse_non_designated, refuse_referred_out, refuse_unreferred_out, refuse_unreferred_in,
               no_interim_rule, interim_min_days, outpatient, a_eligible, b_eligible, eligible, scale, quantum,
               diag_index, chronic_table, certified, chronic_rate, pool_known, pool_rate, visit_cap,
               refused, ok_in, ok_out, packed):
    """Each row, in one pass in the frame's order, of what needs nothing of the year so far:

    Refused or not (inpatient.situation, rules.interim, outpatient): an admission when not designated and
    the scheme refuses that, out of the county when the scheme refuses it referred or unreferred, in the
    county unreferred when the scheme refuses it at the row's level, an interim settlement (`days`
    non-empty: the frame has one) when the scheme has no interim rule or the stay is shorter than its days;
    a visit when the scheme has no outpatient part (`outpatient` 0) or pays only in the county at designated
    facilities (1) and the row is not; any row without charges. ok_in/ok_out: the admissions and visits not
    refused.

    The eligible cost (`a_eligible` + `b_eligible`; the latter empty: B class not eligible) into `eligible`
    (which may be `a_eligible` itself: each row read before it is written), 0 for a refused row.

    With `packed` (n rows; empty: no pooled visits), a payable visit's amount before the running caps,
    packed with what the caps need into one int64 (want × 16 + level × 2 + chronic), 0 for a row paying
    nothing: the chronic-disease amount when the row's diagnosis is a chronic disease
    (`chronic_table[diag_index]`; empty: no chronic rule) and, when the rule asks, the person is certified
    (`certified` non-empty) — rate, rounding, never above the in-policy cost; else the pooling amount at the
    visit's level (rate, rounding, never above the in-policy cost nor the visit's cap). The count of chronic
    visits."""
    any_interim = len(days) > 0
    has_b = len(b_eligible) > 0
    visits = len(packed) > 0
    has_chronic = len(chronic_table) > 0
    need_cert = len(certified) > 0
    chronic_rows = 0
    for r in range(len(has_charges)):
        county, desig, inp = in_county[r], designated[r], inpatient[r]
        if inp:
            x = refuse_non_designated and not desig
            if not county:
                x = x or (refuse_referred_out if referred[r] else refuse_unreferred_out)
            elif not referred[r]:
                x = x or refuse_unreferred_in[level[r]]
            if any_interim and interim[r]:
                x = x or no_interim_rule or days[r] < interim_min_days
        elif outpatient == 0:
            x = True
        elif outpatient == 1:
            x = not county or not desig
        else:
            x = False
        no = not has_charges[r] or x
        refused[r] = no
        ok_in[r] = inp and not no
        visit = not inp and not no
        ok_out[r] = visit
        e = a_eligible[r] + b_eligible[r] if has_b else a_eligible[r]
        eligible[r] = 0 if no else e
        if not visits:
            continue
        v = 0
        if visit and e > 0:
            lv = level[r]
            if has_chronic and chronic_table[diag_index[r]] and (not need_cert or certified[r]):
                chronic_rows += 1
                num = e * chronic_rate
                if num > 0:
                    v = min(round_q(num, scale, quantum), e) * 16 + lv * 2 + 1
            elif pool_known[lv]:
                num = e * pool_rate[lv]
                if num > 0:
                    v = min(min(round_q(num, scale, quantum), e), visit_cap[lv]) * 16 + lv * 2
        packed[r] = v
    return chronic_rows


def select_sorted(order: np.ndarray, skey: np.ndarray, span: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows `mask` marks (frame order), in the sorted order (`order`, keys `skey` = person × span + day):
    their frame rows and their persons' codes (key // span), in one pass."""
    m = int(np.count_nonzero(mask))
    rows, code = np.empty(m, np.int64), np.empty(m, np.int64)
    _select_sorted(order, skey, span, mask, rows, code)
    return rows, code


@njit(**JIT)
def _select_sorted(order, skey, span, mask, rows, code):
    j = 0
    for i in range(len(order)):
        r = order[i]
        if mask[r]:
            rows[j] = r
            code[j] = skey[i] // span
            j += 1


def gather_rows(rows, *columns) -> list[np.ndarray]:
    """Eight frame columns (any dtypes; the last may be empty: not gathered, an empty result) at `rows`, in
    one compiled pass: a row's loads go out together, instead of a numpy gather a column."""
    outs = [np.empty(len(rows) if len(c) else 0, c.dtype) for c in columns]
    _gather8(rows, *columns, *outs)
    return outs


@njit(**JIT)
def _gather8(rows, c0, c1, c2, c3, c4, c5, c6, c7, o0, o1, o2, o3, o4, o5, o6, o7):
    has7 = len(c7) > 0
    for j in range(len(rows)):
        r = rows[j]
        o0[j] = c0[r]
        o1[j] = c1[r]
        o2[j] = c2[r]
        o3[j] = c3[r]
        o4[j] = c4[r]
        o5[j] = c5[r]
        o6[j] = c6[r]
        if has7:
            o7[j] = c7[r]


@njit(**JIT)
def levels_by_length(length, province, table, province_level, out):
    """Each row's level from its byte length (`table`: the level of each length, -1 for none) and whether
    it reads "province" (the one level sharing its length), into `out`, in one pass. False when a length
    names no level (a value that is none of the levels: the caller's slower path names it)."""
    top = len(table)
    for r in range(len(length)):
        k = length[r]
        if k >= top or table[k] < 0:
            return False
        out[r] = province_level if province[r] else table[k]
    return True


@njit(**JIT)
def visit_caps(order, skey, span, wants, packed, chronic_cap, start_chronic, use_day, day_cap, start_today,
               use_annual, annual_cap, start_pool):
    """The running caps of the visits, in one walk of the rows in person order (`order`, `skey` the sorted
    keys person × span + day, `wants` the packed amounts (frame_rows) in that order, carried by the sort:
    read forward): a chronic visit's amount under the year's chronic total; a pooled visit's under the
    day's cap (the day's running total starts again on each new date of the person's, from the start value
    on the date of the person's first row), then the year's pooling cap. A row paying nothing changes no
    running total. `start_*`: frame-order start columns, read at the person's first row (empty: zeros). A
    capped amount is written to `packed` (frame order) at its row; a row the caps leave as it was is not
    written (most rows: the only jumps about the frame)."""
    n = len(order)
    limit = -1  # the first key of the next person
    base = 0  # the person's key at day 0
    chronic_paid = pool_paid = today = day = 0
    has_start = len(start_chronic) > 0 or len(start_pool) > 0 or len(start_today) > 0
    for i in range(n):
        k = skey[i]
        if k >= limit:
            base = k // span * span
            limit = base + span
            day = k - base
            chronic_paid = pool_paid = today = 0
            if has_start:
                r = order[i]
                chronic_paid = start_chronic[r] if len(start_chronic) else 0
                pool_paid = start_pool[r] if len(start_pool) else 0
                today = start_today[r] if len(start_today) else 0
        v = wants[i]
        if v == 0:
            continue
        want = v >> 4
        if want <= 0:
            continue
        flags = v & 15
        if flags & 1:
            paid = min(want, max(chronic_cap - chronic_paid, 0))
            chronic_paid += paid
            if paid != want:
                packed[order[i]] = paid * 16 + flags
            continue
        paid = want
        if use_day:
            d = k - base
            if d != day:
                day = d
                today = 0
            paid = min(paid, max(day_cap[flags >> 1] - today, 0))
            today += paid
        if use_annual:
            paid = min(paid, max(annual_cap - pool_paid, 0))
            pool_paid += paid
        if paid != want:
            packed[order[i]] = paid * 16 + flags


@njit(**JIT)
def unpack_visits(packed, out_chronic):
    """visit_caps' amounts unpacked in place: `packed` becomes the pooling column, a chronic visit's amount
    goes to out_chronic (frame order, zeros; empty: no chronic rule) and its pooling is 0."""
    has_chronic = len(out_chronic) > 0
    for r in range(len(packed)):
        v = packed[r]
        if v == 0:
            continue
        if v & 1:
            if has_chronic:
                out_chronic[r] = v >> 4
            packed[r] = 0
        else:
            packed[r] = v >> 4


@njit(**JIT)
def admissions(local, total, eligible, package, scale, quantum,
               level, in_county, designated, referred, continuation, stay_before, s_admissions,
               nd_change, ref_change, unref_change, adj_change,
               ded_by_level, ded_ooc, ded_oocu, ded_nd, subsequent_rate, subsequent_by_level,
               table_index, tier_upto, tier_rate, tier_count, bracket,
               annual_cap, annual_cap_nd,
               patient_amt, fund_amt,
               subsidy_match, subsidy_amount, subsidy_in_cap,
               has_cat, cat_in_policy, cat_deductible, cat_upto, cat_rate, cat_cap,
               assist_cat, assist_in_policy, assist_threshold, assist_rate, assist_cap,
               safety_on, safety_in_policy, safety_share,
               ceiling_in_policy, ceiling_rate,
               s_basic, s_cat_base, s_cat_paid, s_assist_base, s_assist_paid, s_safety, out):
    """The payable admissions of a block (compact rows `adm` in the frame, sorted by person then date;
    `local` the person's number within the block), one after the other with the person's year so far: the
    annual cap, the fixed-fee package, the subsidies, catastrophic insurance (its yearly deductible over
    the cumulative tiers), medical assistance (its yearly threshold), the safety net and the ceiling,
    cut from the last layer back: `engine`'s former waves, the same arithmetic. Results into the compact
    rows of `out` (one cache line a row: eligible, basic, fixed fee, facility-borne, subsidy, catastrophic,
    assistance, safety net; `scatter_rows` writes them to the frame). s_*: the persons' start values
    (block order)."""
    m = len(local)
    prev = -1
    basic_paid = cat_base_sum = cat_paid = assist_base_sum = assist_paid = safety_paid = ordinal = 0
    n_sub = len(subsidy_amount)
    n_tier = len(cat_rate)
    for i in range(m):
        s = local[i]
        if s != prev:
            prev = s
            basic_paid, cat_base_sum, cat_paid = s_basic[s], s_cat_base[s], s_cat_paid[s]
            assist_base_sum, assist_paid, safety_paid = s_assist_base[s], s_assist_paid[s], s_safety[s]
            ordinal = s_admissions[s]
        t, e = total[i], eligible[i]
        pk = package[i]
        lv = level[i]
        county, desig, ref, cont = in_county[i], designated[i], referred[i], continuation[i]
        # The situation's rate change, the admission's ordinal in the year, the deductible, the tiers.
        change = 0
        if not desig:
            change += nd_change
        if not county:
            change += ref_change if ref else unref_change
        elif not ref:
            change += adj_change[lv]
        if not cont:
            ordinal += 1
        base_ded = ded_by_level[lv]
        if ded_ooc >= 0 and not county:
            base_ded = ded_ooc
        if ded_oocu >= 0 and not county and not ref:
            base_ded = ded_oocu
        if ded_nd >= 0 and not desig:
            base_ded = ded_nd
        if ordinal > 1:
            stay_ded = subsequent_by_level[lv] if subsequent_by_level[lv] >= 0 else round_q(
                base_ded * subsequent_rate, scale, 1)
        else:
            stay_ded = base_ded
        before_cap = ded = 0
        if pk < 0:
            tb = table_index[lv * 2 + (1 if county else 0)]
            if cont:
                b = stay_before[i]
                raw = (_tiers_one(e + b, stay_ded, tier_upto[tb], tier_rate[tb], tier_count[tb], change, bracket, scale)
                       - _tiers_one(b, stay_ded, tier_upto[tb], tier_rate[tb], tier_count[tb], change, bracket, scale))
            else:
                raw = _tiers_one(e, stay_ded, tier_upto[tb], tier_rate[tb], tier_count[tb], change, bracket, scale)
                ded = stay_ded
            before_cap = pay_q(raw, 1, quantum, e - ded)
        c = annual_cap_nd if annual_cap_nd >= 0 and not desig else annual_cap
        out[i, 8] = ded
        out[i, 9] = before_cap

        room = max(c - basic_paid, 0)
        basic = min(before_cap, room)
        fixed = facility = 0
        if pk >= 0:
            patient = min(patient_amt[pk], t)
            due = min(fund_amt[pk], t - patient)
            fixed = min(due, room)
            facility = t - patient - due
            e = min(patient_amt[pk] + fund_amt[pk], t)
            basic = 0
        first = basic + fixed
        left_policy = e - first
        left_total = t - first - facility

        subsidy = in_cap = 0
        if n_sub:
            cap_room = max(c - (basic_paid + first), 0)
            for k in range(n_sub):
                if subsidy_match[i, k]:
                    amount = min(subsidy_amount[k], left_policy - subsidy)
                    if subsidy_in_cap[k]:
                        amount = min(amount, cap_room - in_cap)
                        in_cap += amount
                    subsidy += amount
            left_policy -= subsidy
            left_total -= subsidy

        catastrophic = cat_base = 0
        if has_cat:
            cat_base = left_policy if cat_in_policy else left_total
            raw = (_cumulative_tiers(cat_base_sum + cat_base, cat_deductible, cat_upto, cat_rate, n_tier, scale)
                   - _cumulative_tiers(cat_base_sum, cat_deductible, cat_upto, cat_rate, n_tier, scale))
            room_c = max(cat_cap - cat_paid, 0)
            if cat_base > 0:
                catastrophic = pay_q(raw, 1, quantum, min(room_c, cat_base))
            left_policy -= min(catastrophic, left_policy)
            left_total -= catastrophic

        assistance = assist_base = 0
        if len(assist_cat):
            a = assist_cat[i]
            if a >= 0:
                assist_base = left_policy if assist_in_policy else left_total
                above = (max(assist_base_sum + assist_base - assist_threshold[a], 0)
                         - max(assist_base_sum - assist_threshold[a], 0))
                room_a = max(assist_cap[a] - assist_paid, 0)
                assistance = pay_q(above * assist_rate[a], scale, quantum, min(room_a, assist_base))
                left_policy -= min(assistance, left_policy)
                left_total -= assistance

        safety = 0
        if len(safety_on) and safety_on[i]:
            burden = left_policy if safety_in_policy else left_total
            allowed = round_q((e if safety_in_policy else t) * safety_share, scale, 1)
            if burden > allowed:
                safety = burden - allowed

        limit = round_q((e if ceiling_in_policy else t) * ceiling_rate, scale, 1)
        excess = first + subsidy + catastrophic + assistance + safety - limit
        if excess > 0:
            cut = min(safety, excess)
            safety -= cut
            excess -= cut
            cut = min(assistance, excess)
            assistance -= cut
            excess -= cut
            cut = min(catastrophic, excess)
            catastrophic -= cut
            excess -= cut
            cut = min(subsidy, excess)
            subsidy -= cut
            excess -= cut
            first -= min(first, excess)
            if pk >= 0:
                fixed, basic = first, 0
            else:
                fixed, basic = 0, first
        basic_paid += first + min(in_cap, subsidy)
        cat_base_sum += cat_base
        cat_paid += catastrophic
        assist_base_sum += assist_base
        assist_paid += assistance
        safety_paid += safety

        out[i, 0] = e
        out[i, 1] = basic
        out[i, 2] = fixed
        out[i, 3] = facility
        out[i, 4] = subsidy
        out[i, 5] = catastrophic
        out[i, 6] = assistance
        out[i, 7] = safety


@njit(**JIT)
def scatter_rows(rows, perm, comp, o0, o1, o2, o3, o4, o5, o6, o7, o8, o9):
    """Compact results (`comp`, a row each) into frame-order columns o0… (empty: not written) at the frame
    rows `rows` (sorted: `perm` the compact row of each), so the writes go forward through the columns
    instead of jumping about: one jump a row, the compact row's read."""
    for j in range(len(rows)):
        r = rows[j]
        i = perm[j]
        if len(o0):
            o0[r] = comp[i, 0]
        if len(o1):
            o1[r] = comp[i, 1]
        if len(o2):
            o2[r] = comp[i, 2]
        if len(o3):
            o3[r] = comp[i, 3]
        if len(o4):
            o4[r] = comp[i, 4]
        if len(o5):
            o5[r] = comp[i, 5]
        if len(o6):
            o6[r] = comp[i, 6]
        if len(o7):
            o7[r] = comp[i, 7]
        if len(o8):
            o8[r] = comp[i, 8]
        if len(o9):
            o9[r] = comp[i, 9]


def fund_and_self_pay(total, facility, *layers, out=None) -> tuple[np.ndarray, np.ndarray]:
    """The fund's total (the sum of the written layers l0…, an empty one not written) and the patient's
    own payment (total − fund − facility-borne; facility empty: none), in one pass over the rows. `out`:
    two int64 arrays of the rows' length to write them into (any contents), else new ones."""
    fund, self_pay = out if out is not None else (np.empty(len(total), np.int64), np.empty(len(total), np.int64))
    _fund_and_self_pay(total, facility, *layers, fund, self_pay)
    return fund, self_pay


@njit(**JIT)
def _fund_and_self_pay(total, facility, l0, l1, l2, l3, l4, l5, l6, l7, l8, fund, self_pay):
    n = len(total)
    fund[:] = 0
    for layer in (l0, l1, l2, l3, l4, l5, l6, l7, l8):  # a layer a pass: streaming, vectorised loops
        if len(layer):
            for r in range(n):
                fund[r] += layer[r]
    for r in range(n):
        self_pay[r] = total[r] - fund[r] - (facility[r] if len(facility) else 0)


@njit(**JIT)
def _tiers_one(eligible, deductible, upto, rate, n_tier, change, bracket, scale):
    """engine._tiers for one value: each band to the fen, summed (cumulative), or the whole at the first band
    the eligible cost is within (bracket); the band's rate plus the situation's change, within 0 and 1.
    upto < 0: the open band."""
    if eligible <= deductible:
        return 0
    if bracket:
        for k in range(n_tier):
            if upto[k] < 0 or eligible <= upto[k]:
                r = min(max(rate[k] + change, 0), scale)
                return round_q((eligible - deductible) * r, scale, 1)
        return 0
    total = 0
    lower = 0
    for k in range(n_tier):
        start = max(lower, deductible)
        end = eligible if upto[k] < 0 else min(eligible, upto[k])
        base = max(end - start, 0)
        r = min(max(rate[k] + change, 0), scale)
        total += round_q(base * r, scale, 1)
        if upto[k] < 0:
            break
        lower = upto[k]
    return total


@njit(**JIT)
def _cumulative_tiers(eligible, deductible, upto, rate, n_tier, scale):
    """engine._tiers, cumulative, no rate change, for one value: each band to the fen, summed. upto < 0:
    the open band."""
    if eligible <= deductible:
        return 0
    total = 0
    lower = 0
    for k in range(n_tier):
        start = max(lower, deductible)
        end = eligible if upto[k] < 0 else min(eligible, upto[k])
        base = max(end - start, 0)
        r = min(max(rate[k], 0), scale)
        total += round_q(base * r, scale, 1)
        if upto[k] < 0:
            break
        lower = upto[k]
    return total
