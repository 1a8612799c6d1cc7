#!/usr/bin/env bash
# scripts/refresh-kernel.sh - regenerate one release's bundle from Debian's packages,
# when Debian has moved on (a pinned package is no longer published) or to check it.
#
#   bash scripts/refresh-kernel.sh linux-6.1 6.1.0-57
#   bash scripts/refresh-kernel.sh linux-6.12 6.12.119+deb12
#   bash scripts/refresh-kernel.sh linux-6.12         # the newest ABI apt offers
#
# What it does, for RELEASE (a key of RELEASES in lkmfuzz/kernel/release.py):
#   1. corpus/build.sh --kernel SERIES: the seed corpus (corpus/*.ko for 6.1,
#      corpus/linux-6.12/*.ko) and lkmfuzz/kernel/data/RELEASE/{Module.symvers,config}.xz;
#   2. the signing certificate from linux-image-<uname>-unsigned (scripts/extract-signing-cert.py)
#      into lkmfuzz/kernel/data/RELEASE/signing-cert.der;
#   3. struct module by scripts/probe-struct-module.sh --kernel SERIES;
# then prints which files changed (git) and what to update by hand: the pins of
# lkmfuzz/kernel/release.py and, if the probe differs, lkmfuzz/abi/module.py.
#
# It writes only the files named above (each by tmp + rename) and its own temporary
# folder; it deletes nothing it did not create.  Same cache and environment as build.sh.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$REPO/.venv/bin/python
[[ -x $PY ]] || PY=python3
CACHE_ROOT=${LKMFUZZ_CACHE:-$HOME/.cache/lkmfuzz}
DEBS=$CACHE_ROOT/debian
ARCH_FLAVOUR=amd64

die() { printf 'refresh-kernel.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf '>>> %s\n' "$*" >&2; }

(($# >= 1 && $# <= 2)) || die "usage: $0 RELEASE [ABI]   (RELEASE: linux-6.1 or linux-6.12; ABI e.g. 6.1.0-57)"
RELEASE=$1
case "$RELEASE" in
	linux-6.1) SERIES=6.1 ;;
	linux-6.12) SERIES=6.12 ;;
	*) die "unknown release '$RELEASE' (linux-6.1 or linux-6.12)" ;;
esac
[[ -n ${2:-} ]] && export LKMFUZZ_KABI=$2
DATA=$REPO/lkmfuzz/kernel/data/$RELEASE
SOURCE_MD=$DATA/SOURCE.md
WORK=$(mktemp -d)
DL=""
trap 'rm -rf "$WORK" ${DL:+"$DL"}' EXIT

# --- 1. corpus + symvers/config ------------------------------------------------------
log "corpus/build.sh --kernel $SERIES (ABI ${LKMFUZZ_KABI:-newest apt offers})"
bash "$REPO/corpus/build.sh" --kernel "$SERIES" 2>"$WORK/build.log" \
	|| { tail -n 20 "$WORK/build.log" >&2; die "corpus/build.sh failed (log above)"; }
KREL=$(sed -nE 's/^>>> done \(kernel ([^ ]+), packages ([^)]+)\)$/\1/p' "$WORK/build.log")
KVER=$(sed -nE 's/^>>> done \(kernel ([^ ]+), packages ([^)]+)\)$/\2/p' "$WORK/build.log")
[[ -n $KREL && -n $KVER ]] || die "cannot read the kernel release from corpus/build.sh's output"
KABI=${KREL%-$ARCH_FLAVOUR}
HELLO=$REPO/corpus/hello.ko
[[ $SERIES == 6.1 ]] || HELLO=$REPO/corpus/linux-$SERIES/hello.ko
VERMAGIC=$(objcopy -O binary --only-section=.modinfo "$HELLO" /dev/stdout | tr '\0' '\n' | sed -n 's/^vermagic=//p')

# --- 2. the signing certificate ---------------------------------------------------------
IMAGE_PKG=linux-image-$KREL-unsigned
IMAGE_DEB=$(ls "$DEBS/${IMAGE_PKG}_${KVER//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
if [[ -z $IMAGE_DEB ]]; then
	log "apt-get download $IMAGE_PKG=$KVER"
	# beside the cache, where apt's sandbox user can write (as build.sh does)
	DL=$(mktemp -d "$DEBS/.refresh.XXXXXX")
	if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$DL"; fi
	(cd "$DL" && apt-get download -q "$IMAGE_PKG=$KVER" >&2) \
		|| die "$IMAGE_PKG $KVER is not downloadable (Debian no longer publishes it? try a newer ABI)"
	IMAGE_DEB=$DEBS/$(basename "$DL"/*.deb)
	mv "$DL"/*.deb "$IMAGE_DEB"
fi
log "certificate from $(basename "$IMAGE_DEB")"
"$PY" "$REPO/scripts/extract-signing-cert.py" "$RELEASE" "$IMAGE_DEB" "$KREL" "$DATA/signing-cert.der" \
	>"$WORK/cert.md"

# --- 3. struct module ------------------------------------------------------------------
log "scripts/probe-struct-module.sh --kernel $SERIES"
LKMFUZZ_KABI=$KABI bash "$REPO/scripts/probe-struct-module.sh" --kernel "$SERIES" >"$WORK/probe.txt" 2>"$WORK/probe.log" \
	|| { tail -n 20 "$WORK/probe.log" >&2; die "the struct module probe failed (log above)"; }

# build.sh rewrites SOURCE.md from its template when the packages changed: give the new
# one the certificate and the probe table again.
if ! grep -q '^## signing-cert.der' "$SOURCE_MD"; then
	{
		cat "$SOURCE_MD"
		printf '\n## signing-cert.der\n\nThe one certificate in the system_certificate_list of `%s` (scripts/extract-signing-cert.py):\n\n' "$KREL"
		cat "$WORK/cert.md"
		printf '\n## struct module (scripts/probe-struct-module.sh --kernel %s)\n\n```\n' "$SERIES"
		cat "$WORK/probe.txt"
		printf '```\n'
	} >"$SOURCE_MD.tmp"
	mv "$SOURCE_MD.tmp" "$SOURCE_MD"
fi

# --- report ----------------------------------------------------------------------------
echo "== $RELEASE: kernel $KREL, Debian packages $KVER"
echo "-- changed files (git status):"
CORPUS_DIR=corpus
[[ $SERIES == 6.1 ]] || CORPUS_DIR=corpus/linux-$SERIES
(cd "$REPO" && git status --short -- "lkmfuzz/kernel/data/$RELEASE" "$CORPUS_DIR") | sed 's/^/   /'
echo "-- struct module (compare with lkmfuzz/abi/module.py):"
grep -E '^(sizeof|sizeof\(struct module_memory\)|name|init|exit|mem|mem\[[A-Z_]+\]|module_memory\.[a-z]+|MOD_MEM_NUM_TYPES|core_layout|init_layout|taints|kallsyms|core_kallsyms|percpu|percpu_size|klp) ' \
	"$WORK/probe.txt" | sed 's/^/   /'
# The fenced table after SOURCE.md's "## struct module" heading.
recorded_probe() { awk '/^## struct module/ { in_section = 1 } in_section && /^```/ { if (in_table) exit; in_table = 1; next } in_table' "$SOURCE_MD"; }
if [[ -z $(recorded_probe) ]]; then
	echo "   ($SOURCE_MD has no probe table: compare these with lkmfuzz/abi/module.py by hand)"
elif ! diff -q <(recorded_probe) "$WORK/probe.txt" >/dev/null; then
	echo "   !! differs from the table in $SOURCE_MD: update it and lkmfuzz/abi/module.py"
else
	echo "   (the same as the table in $SOURCE_MD)"
fi
cat <<EOF
-- now update lkmfuzz/kernel/release.py ($RELEASE):
   uname="$KREL", debian_version="$KVER",
   vermagic="$VERMAGIC",
   kbuild_package="$([[ $SERIES == 6.1 ]] && echo linux-kbuild-6.1 || echo "linux-kbuild-$KABI")"
   and the figures that name the old ABI (tests, docs); then run the tests.
EOF
