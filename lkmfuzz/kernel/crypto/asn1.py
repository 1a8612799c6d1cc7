"""lib/asn1_decoder.c ``asn1_ber_decoder()``, ported as an interpreter of the bytecode that
``scripts/asn1_compiler`` makes of a grammar (the op codes of
include/linux/asn1_ber_bytecode.h, the tags of include/linux/asn1.h), so tag/length
quirks, BER indefinite lengths, the 64 KiB limit (EMSGSIZE) and the *order* in which
errors surface are the kernel's.
"""

import errno
from dataclasses import dataclass
from enum import IntEnum

ASN1_UNIV, ASN1_CONT = 0, 2
ASN1_PRIM, ASN1_CONS = 0, 1
ASN1_INT, ASN1_BTS, ASN1_OTS, ASN1_OID, ASN1_SEQ, ASN1_SET = 2, 3, 4, 6, 16, 17
ASN1_UNITIM, ASN1_GENTIM = 23, 24
ASN1_CONS_BIT = 0x20
ASN1_LONG_TAG = 0x1F
ASN1_INDEFINITE_LENGTH = 0x80
ASN1_MAX_DATALEN = 65535          # "This won't handle datalen > 65535"
NR_CONS_STACK = 10
NR_JUMP_STACK = 10
UNIV, CONT, PRIM, CONS = ASN1_UNIV, ASN1_CONT, ASN1_PRIM, ASN1_CONS
INT, OTS, OID, SEQ, SET = ASN1_INT, ASN1_OTS, ASN1_OID, ASN1_SEQ, ASN1_SET


def asn1_tag(cls: int, cons: int, num: int) -> int:
    return (cls << 6) | (cons << 5) | num


class Op(IntEnum):
    """enum asn1_opcode (include/linux/asn1_ber_bytecode.h)."""
    MATCH = 0x00
    MATCH_OR_SKIP = 0x01
    MATCH_ACT = 0x02
    MATCH_ACT_OR_SKIP = 0x03
    MATCH_JUMP = 0x04
    MATCH_JUMP_OR_SKIP = 0x05
    MATCH_ANY = 0x08
    MATCH_ANY_OR_SKIP = 0x09
    MATCH_ANY_ACT = 0x0A
    MATCH_ANY_ACT_OR_SKIP = 0x0B
    COND_MATCH_OR_SKIP = 0x11
    COND_MATCH_ACT_OR_SKIP = 0x13
    COND_MATCH_JUMP_OR_SKIP = 0x15
    COND_MATCH_ANY = 0x18
    COND_MATCH_ANY_OR_SKIP = 0x19
    COND_MATCH_ANY_ACT = 0x1A
    COND_MATCH_ANY_ACT_OR_SKIP = 0x1B
    COND_FAIL = 0x1C
    COMPLETE = 0x1D
    ACT = 0x1E
    MAYBE_ACT = 0x1F
    END_SEQ = 0x20
    END_SET = 0x21
    END_SEQ_OF = 0x22
    END_SET_OF = 0x23
    END_SEQ_ACT = 0x24
    END_SET_ACT = 0x25
    END_SEQ_OF_ACT = 0x26
    END_SET_OF_ACT = 0x27
    RETURN = 0x28


MATCH__SKIP, MATCH__ACT, MATCH__JUMP, MATCH__ANY, MATCH__COND = 0x01, 0x02, 0x04, 0x08, 0x10
MATCHES_TAG = Op.COND_MATCH_ANY_ACT_OR_SKIP
END__SET, END__OF, END__ACT = 0x01, 0x02, 0x04
# asn1_op_lengths[]: opcode + tag + jump target + action, as each op needs.
# Keyed by Op, looked up with the raw bytecode int (an IntEnum hashes as its value).
OP_LENGTHS: dict[int, int] = {**{op: 1 for op in Op},
    Op.MATCH: 2, Op.MATCH_OR_SKIP: 2, Op.MATCH_ACT: 3, Op.MATCH_ACT_OR_SKIP: 3, Op.MATCH_JUMP: 3,
    Op.MATCH_JUMP_OR_SKIP: 3, Op.MATCH_ANY_ACT: 2, Op.MATCH_ANY_ACT_OR_SKIP: 2, Op.COND_MATCH_OR_SKIP: 2,
    Op.COND_MATCH_ACT_OR_SKIP: 3, Op.COND_MATCH_JUMP_OR_SKIP: 3, Op.COND_MATCH_ANY_ACT: 2,
    Op.COND_MATCH_ANY_ACT_OR_SKIP: 2, Op.ACT: 2, Op.MAYBE_ACT: 2, Op.END_SEQ_OF: 2, Op.END_SET_OF: 2,
    Op.END_SEQ_ACT: 2, Op.END_SET_ACT: 2, Op.END_SEQ_OF_ACT: 3, Op.END_SET_OF_ACT: 3}
FLAG_INDEFINITE_LENGTH, FLAG_MATCHED, FLAG_LAST_MATCHED, FLAG_CONS = 0x01, 0x02, 0x04, 0x20


def asn1_find_indefinite_length(data: bytes, datalen: int, dp: int) -> int | None:
    """The length from dp to just past the matching EOC, or None (every error is EBADMSG)."""
    start, indef_level = dp, 1
    while True:
        if datalen - dp < 2:
            return None                                  # missing EOC / data overrun
        tag = data[dp]
        dp += 1
        if tag == 0:                                     # ASN1_EOC
            if data[dp] != 0:
                return None                              # invalid EOC
            dp += 1
            indef_level -= 1
            if indef_level <= 0:
                return dp - start
            continue
        if tag & 0x1F == ASN1_LONG_TAG:
            while True:
                if datalen - dp < 2:
                    return None
                more = data[dp] & 0x80
                dp += 1
                if not more:
                    break
        length = data[dp]
        dp += 1
        if length == ASN1_INDEFINITE_LENGTH:
            if not tag & ASN1_CONS_BIT:
                return None                              # indefinite primitive
            indef_level += 1
            continue
        if length > 0x7F:
            n = length - 0x80
            if n > 7 or n > datalen - dp:                # n > sizeof(len) - 1
                return None
            length = int.from_bytes(data[dp:dp + n], "big")
            dp += n
        if length > datalen - dp:
            return None
        dp += length


@dataclass
class Asn1Decoder:
    """A compiled grammar: the bytecode and its action functions by number."""
    machine: tuple
    actions: tuple

    def decode(self, ctx, data: bytes) -> int:
        """asn1_ber_decoder(): 0, an action's errno, or EBADMSG/EMSGSIZE.  Actions are
        called as action(ctx, hdrlen, tag, value_offset, vlen) and return 0 or an errno."""
        if len(data) > ASN1_MAX_DATALEN:
            return errno.EMSGSIZE
        return _Asn1Run(self, ctx, data).run()


class _Asn1Run:
    """One run of the interpreter: the C function's locals as attributes, its labels as returns."""

    def __init__(self, decoder: Asn1Decoder, ctx, data: bytes):
        self.machine, self.actions, self.ctx, self.data = decoder.machine, decoder.actions, ctx, data
        self.datalen = len(data)
        self.pc = self.dp = self.tdp = self.len = self.tag = self.hdr = self.flags = 0
        self.csp = 0
        self.cons_dp = [0] * NR_CONS_STACK
        self.cons_datalen = [0] * NR_CONS_STACK
        self.cons_hdrlen = [0] * NR_CONS_STACK
        self.jump_stack: list[int] = []

    def run(self) -> int:
        machlen = len(self.machine)
        while True:
            if self.pc >= machlen:
                return errno.EBADMSG                     # machine overrun
            op = self.machine[self.pc]
            if op not in OP_LENGTHS or self.pc + OP_LENGTHS[op] > machlen:
                return errno.EBADMSG
            if op <= MATCHES_TAG:
                matched = self.match_tag(op)
                if matched is not None:
                    if matched:                          # an error
                        return matched
                    continue                             # skipped
            ret = self.execute(Op(op))
            if ret is not None:
                return ret

    def match_tag(self, op: int) -> int | None:
        """The tag-matching prologue: None when matched, 0 when skipped, else an errno."""
        data, machine = self.data, self.machine
        if (op & MATCH__COND and self.flags & FLAG_MATCHED) or (op & MATCH__SKIP and self.dp == self.datalen):
            self.flags &= ~FLAG_LAST_MATCHED
            self.pc += OP_LENGTHS[op]
            return 0
        self.flags, self.hdr = 0, 2
        if self.datalen - self.dp < 2:
            return errno.EBADMSG                         # data overrun
        self.tag = tag = data[self.dp]
        self.dp += 1
        if tag & 0x1F == ASN1_LONG_TAG:
            return errno.EBADMSG                         # long tag not supported
        if not op & MATCH__ANY:
            optag = machine[self.pc + 1]
            self.flags |= optag & FLAG_CONS
            # As the C does (not as its comment says): a CONS op also accepts a PRIM
            # tag, a PRIM op insists on PRIM.
            if (optag ^ tag) & ~(optag & ASN1_CONS_BIT) & 0xFF:
                if op & MATCH__SKIP:
                    self.pc += OP_LENGTHS[op]
                    self.dp -= 1
                    return 0
                return errno.EBADMSG                     # unexpected tag
        self.flags |= FLAG_MATCHED
        return self.read_length(tag)

    def read_length(self, tag: int) -> int | None:
        data = self.data
        length = data[self.dp]
        self.dp += 1
        if length > 0x7F:
            if length == ASN1_INDEFINITE_LENGTH:
                if not tag & ASN1_CONS_BIT:
                    return errno.EBADMSG                 # indefinite length primitive
                self.flags |= FLAG_INDEFINITE_LENGTH
                if 2 > self.datalen - self.dp:
                    return errno.EBADMSG
            else:
                n = length - 0x80
                if n > 2 or n > self.datalen - self.dp:
                    return errno.EBADMSG                 # unsupported length / overrun
                self.hdr += n
                length = int.from_bytes(data[self.dp:self.dp + n], "big")
                self.dp += n
                if length > self.datalen - self.dp:
                    return errno.EBADMSG
        elif length > self.datalen - self.dp:
            return errno.EBADMSG
        self.len = length
        if self.flags & FLAG_CONS:
            if self.csp >= NR_CONS_STACK:
                return errno.EBADMSG                     # cons stack overflow
            self.cons_dp[self.csp] = self.dp
            self.cons_hdrlen[self.csp] = self.hdr
            if not self.flags & FLAG_INDEFINITE_LENGTH:
                self.cons_datalen[self.csp] = self.datalen
                self.datalen = self.dp + length
            else:
                self.cons_datalen[self.csp] = 0
            self.csp += 1
        self.tdp = self.dp
        return None

    def execute(self, op: Op) -> int | None:
        """The switch (op): None to go on, else the decoder's return value."""
        if op <= MATCHES_TAG and not op & MATCH__JUMP:
            return self.do_match(op)
        if op in (Op.MATCH_JUMP, Op.MATCH_JUMP_OR_SKIP, Op.COND_MATCH_JUMP_OR_SKIP):
            if len(self.jump_stack) == NR_JUMP_STACK:
                return errno.EBADMSG                     # jump stack overflow
            self.jump_stack.append(self.pc + OP_LENGTHS[op])
            self.pc = self.machine[self.pc + 2]
            return None
        if op == Op.COND_FAIL:
            if not self.flags & FLAG_MATCHED:
                return errno.EBADMSG
            self.pc += 1
            return None
        if op == Op.COMPLETE:
            # Trailing bytes after the outermost element are not checked.
            return errno.EBADMSG if self.jump_stack or self.csp else 0
        if Op.END_SEQ <= op <= Op.END_SET_OF_ACT:
            return self.do_end(op)
        if op == Op.MAYBE_ACT and not self.flags & FLAG_LAST_MATCHED:
            self.pc += 2
            return None
        if op in (Op.ACT, Op.MAYBE_ACT):
            ret = self.act(self.machine[self.pc + 1], self.tag, self.tdp, self.len)
            self.pc += 2
            return ret or None
        if op == Op.RETURN:
            if not self.jump_stack:
                return errno.EBADMSG                     # jump stack underflow
            self.pc = self.jump_stack.pop()
            self.flags |= FLAG_MATCHED | FLAG_LAST_MATCHED
            return None
        return errno.EBADMSG                             # reserved opcode

    def do_match(self, op: Op) -> int | None:
        if not self.flags & FLAG_CONS and self.flags & FLAG_INDEFINITE_LENGTH:
            found = asn1_find_indefinite_length(self.data, self.datalen, self.dp)
            if found is None:
                return errno.EBADMSG
            self.len = found
        if op & MATCH__ACT:
            act = self.machine[self.pc + 1] if op & MATCH__ANY else self.machine[self.pc + 2]
            ret = self.act(act, self.tag, self.dp, self.len)
            if ret:
                return ret
        if not self.flags & FLAG_CONS:
            self.dp += self.len
        self.pc += OP_LENGTHS[op]
        return None

    def do_end(self, op: Op) -> int | None:
        if op in (Op.END_SET, Op.END_SET_ACT) and not self.flags & FLAG_MATCHED:
            return errno.EBADMSG
        if self.csp <= 0:
            return errno.EBADMSG                         # cons stack underflow
        self.csp -= 1
        self.tdp = self.cons_dp[self.csp]
        self.hdr = self.cons_hdrlen[self.csp]
        length = self.datalen
        self.datalen = self.cons_datalen[self.csp]
        if self.datalen == 0:                            # indefinite length: expect an EOC
            self.datalen = length
            if self.datalen - self.dp < 2:
                return errno.EBADMSG
            if self.data[self.dp] != 0:
                if op & END__OF:                         # another element of the SET/SEQUENCE OF
                    self.csp += 1
                    self.pc = self.machine[self.pc + 1]
                    return None
                return errno.EBADMSG                     # missing EOC
            if self.data[self.dp + 1] != 0:
                return errno.EBADMSG                     # invalid EOC
            self.dp += 2
            length = self.dp - self.tdp - 2
        else:
            if self.dp < length and op & END__OF:
                self.datalen = length
                self.csp += 1
                self.pc = self.machine[self.pc + 1]
                return None
            if self.dp != length:
                return errno.EBADMSG                     # cons length error
            length -= self.tdp
        self.len = length
        if op & END__ACT:
            act = self.machine[self.pc + 2] if op & END__OF else self.machine[self.pc + 1]
            ret = self.act(act, 0, self.tdp, length)
            if ret:
                return ret
        self.pc += OP_LENGTHS[op]
        return None

    def act(self, number: int, tag: int, value: int, vlen: int) -> int:
        return self.actions[number](self.ctx, self.hdr, tag, value, vlen)
