#!/usr/bin/env bash
# corpus/build.sh - rebuild the lkmfuzz seed modules (corpus/*.ko) and the
# kernel reference data (lkmfuzz/kernel/data/) from Debian 12 packages.
#
# Usage (as root on a fresh Debian 12 amd64, or as a user with the
# build dependencies below already installed):
#
#   bash corpus/build.sh               # seed corpus + reference data
#   bash corpus/build.sh --corpus-only # corpus/*.ko + corpus/BUILD-INFO.txt
#   bash corpus/build.sh --data-only   # lkmfuzz/kernel/data/linux-6.1/* (also: corpus/fetch-symvers.sh)
#   bash corpus/build.sh --tree-only   # only fetch + unpack; prints the headers directory
#                                      # (used by scripts/probe-struct-module.sh)
#   bash corpus/build.sh --kernel 6.12 [--corpus-only|--data-only|--tree-only]
#                                      # the same for Linux 6.12 (Debian 12's linux-*-6.12.NN+deb12):
#                                      # corpus/linux-6.12/*.ko + BUILD-INFO.txt,
#                                      # lkmfuzz/kernel/data/linux-6.12/*
#
# --kernel 6.1 is the default and writes where the script always wrote
# (corpus/*.ko, lkmfuzz/kernel/data/linux-6.1); every other release gets its
# own folder corpus/linux-<series>/.
#
# Environment:
#   LKMFUZZ_CACHE  cache root (default $HOME/.cache/lkmfuzz); the .debs go to
#                  $LKMFUZZ_CACHE/debian, the extracted tree and the build
#                  directories to $LKMFUZZ_CACHE/tree and $LKMFUZZ_CACHE/build.
#   LKMFUZZ_KABI   Debian kernel ABI to build against, e.g. 6.1.0-56 or
#                  6.12.118+deb12.  Default: the newest linux-headers-<ABI>-amd64
#                  of the series that apt-cache offers (or, offline, the newest
#                  one cached).
#
# Nothing is installed system-wide apart from the build dependencies: the
# three kernel packages are fetched with "apt-get download" and unpacked
# with "dpkg -x" into the cache.  Modules are built with
# "make -C <headers> M=<dir> modules", which never signs them
# (CONFIG_MODULE_SIG_ALL only signs during modules_install), so every .ko
# produced here is unsigned.  The script checks that.
#
# Idempotent: downloads are skipped when the .deb is cached, the tree and
# the build directories are recreated on every run, and the outputs do not
# embed timestamps or build paths (SOURCE.md is only rewritten when the
# package changes), so re-running without changes yields identical files.
set -euo pipefail

CORPUS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$CORPUS")
SRC=$CORPUS/src
CACHE_ROOT=${LKMFUZZ_CACHE:-$HOME/.cache/lkmfuzz}
DEBS=$CACHE_ROOT/debian
TREE=$CACHE_ROOT/tree
BUILD=$CACHE_ROOT/build
ARCH_FLAVOUR=amd64

# Packages needed on a fresh Debian 12.  The headers' Makefile uses gcc-12
# (CC = gcc-12, from the headers package's .kernelvariables); the prebuilt
# tools in linux-kbuild-* (modpost, objtool, fixdep) need libelf1, zlib
# and libssl3 at run time.  6.12 builds BTF for modules
# (CONFIG_DEBUG_INFO_BTF_MODULES=y), which needs pahole from dwarves.
BUILD_DEPS=(build-essential gcc-12 make bc libelf-dev libelf1 libssl3 zlib1g
	    kmod binutils xz-utils coreutils dpkg apt)
BUILD_DEPS_6_12=(dwarves)

usage() { echo "usage: $0 [--kernel 6.1|6.12] [--corpus-only|--data-only|--tree-only]" >&2; exit 2; }

do_corpus=1
do_data=1
tree_only=0
SERIES=6.1
while (($#)); do
	case "$1" in
		--corpus-only) do_data=0 ;;
		--data-only) do_corpus=0 ;;
		--tree-only) do_corpus=0; do_data=0; tree_only=1 ;;
		--kernel) (($# >= 2)) || usage; SERIES=$2; shift ;;
		--kernel=*) SERIES=${1#--kernel=} ;;
		-h|--help) sed -n '2,42p' "$0"; exit 0 ;;
		*) usage ;;
	esac
	shift
done

# Per series: where the outputs go, how an ABI is spelled, how the packages are named.
#   6.1:  ABI 6.1.0-56       -> linux-headers-6.1.0-56-{amd64,common}, linux-kbuild-6.1
#   6.12: ABI 6.12.118+deb12 -> linux-headers-6.12.118+deb12-{amd64,common}, linux-kbuild-6.12.118+deb12
case "$SERIES" in
	6.1)
		OUT=$CORPUS
		ABI_RE='6\.1\.0-[0-9]+'
		;;
	6.12)
		OUT=$CORPUS/linux-6.12
		# its own build folder: build.sh for 6.1 empties $CACHE_ROOT/build
		BUILD=$CACHE_ROOT/build-6.12
		ABI_RE='6\.12\.[0-9]+\+deb12'
		BUILD_DEPS+=("${BUILD_DEPS_6_12[@]}")
		;;
	*) echo "build.sh: error: unknown kernel series '$SERIES' (6.1 or 6.12)" >&2; exit 2 ;;
esac
DATA=$REPO/lkmfuzz/kernel/data/linux-$SERIES
# How SOURCE.md tells to regenerate (6.1 is the default and needs no option).
KERNEL_ARG=$([[ $SERIES == 6.1 ]] || echo " --kernel $SERIES")
# The kbuild package is per series for 6.1, per ABI from 6.12 on.
kbuild_package() { if [[ $SERIES == 6.1 ]]; then echo linux-kbuild-6.1; else echo "linux-kbuild-$KABI"; fi; }

log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

# LC_ALL=C keeps sorting and tool output stable.
export LC_ALL=C
# Do not let the caller's environment change the kernel build.
unset ARCH CROSS_COMPILE KBUILD_OUTPUT KCFLAGS KCPPFLAGS O M \
      KBUILD_EXTRA_SYMBOLS KBUILD_MODPOST_WARN INSTALL_MOD_PATH 2>/dev/null || true

# --- 1. build dependencies ----------------------------------------------------
ensure_deps() {
	local missing=() p
	for p in "${BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
			|| missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	[[ $(id -u) == 0 ]] || die "missing packages (run as root or install them): ${missing[*]}"
	log "installing build dependencies: ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# --- 2. pick the kernel ABI and download the three packages -------------------
apt_has() { apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }

pick_kabi() {
	if [[ -n ${LKMFUZZ_KABI:-} ]]; then
		KABI=$LKMFUZZ_KABI
	else
		if ! apt_has "linux-headers-$ARCH_FLAVOUR" && [[ $(id -u) == 0 ]]; then apt-get update >&2; fi
		KABI=$(apt-cache search --names-only "^linux-headers-$ABI_RE-$ARCH_FLAVOUR\$" 2>/dev/null \
			| awk '{print $1}' | sed -E "s/^linux-headers-(.*)-$ARCH_FLAVOUR\$/\1/" | sort -V | tail -n1)
		if [[ -z $KABI ]]; then   # offline: newest cached
			KABI=$(ls "$DEBS" 2>/dev/null | sed -nE "s/^linux-headers-($ABI_RE)-${ARCH_FLAVOUR}_.*\.deb\$/\1/p" \
				| sort -V | tail -n1)
		fi
	fi
	[[ $KABI =~ ^$ABI_RE$ ]] || die "cannot determine the $SERIES kernel ABI (set LKMFUZZ_KABI, e.g. 6.1.0-56 or 6.12.118+deb12)"
	KREL=$KABI-$ARCH_FLAVOUR
	PKG_ARCH=linux-headers-$KREL
	PKG_COMMON=linux-headers-$KABI-common
	KBUILD_PKG=$(kbuild_package)
}

# fetch <package> [<version>] -> prints the path of the cached .deb
fetch() {
	local pkg=$1 ver=${2:-} deb tmp
	if [[ -z $ver ]]; then
		ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	fi
	if [[ -n $ver ]]; then
		deb=$(ls "$DEBS/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
	else   # offline: take the newest cached one
		deb=$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
	fi
	if [[ -n $deb && -s $deb ]]; then
		log "cached: $(basename "$deb")"
	else
		[[ -n $ver ]] || die "package $pkg not known to apt and not cached in $DEBS"
		log "downloading $pkg=$ver"
		tmp=$(mktemp -d "$DEBS/.dl.XXXXXX")
		# let apt's sandbox user write there (avoids the "unsandboxed" warning)
		if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
		(cd "$tmp" && apt-get download -q "$pkg=$ver" >&2)
		deb=$(ls "$tmp"/*.deb)
		mv "$deb" "$DEBS/"
		rmdir "$tmp"
		deb=$DEBS/$(basename "$deb")
	fi
	[[ $(dpkg-deb -f "$deb" Package) == "$pkg" ]] || die "$deb is not $pkg"
	printf '%s\n' "$deb"
}

fetch_all() {
	mkdir -p "$DEBS"
	pick_kabi
	log "kernel ABI $KABI ($KREL)"
	DEB_ARCH=$(fetch "$PKG_ARCH")
	local ver
	ver=$(dpkg-deb -f "$DEB_ARCH" Version)
	DEB_COMMON=$(fetch "$PKG_COMMON" "$ver")
	# linux-kbuild-6.1 is shared by all 6.1 ABIs; prefer the same source version
	# as the headers, fall back to the candidate if that one is gone.
	if apt-cache madison "$KBUILD_PKG" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF "$ver" \
	   || ls "$DEBS/${KBUILD_PKG}_${ver}_"*.deb >/dev/null 2>&1; then
		DEB_KBUILD=$(fetch "$KBUILD_PKG" "$ver")
	else
		log "warning: $KBUILD_PKG=$ver unavailable, using the candidate version"
		DEB_KBUILD=$(fetch "$KBUILD_PKG")
	fi
	KVER=$ver
}

# --- 3. unpack and repoint absolute paths -------------------------------------
extract() {
	ROOT=$TREE/$KREL
	rm -rf "$ROOT"
	mkdir -p "$ROOT"
	local deb
	for deb in "$DEB_ARCH" "$DEB_COMMON" "$DEB_KBUILD"; do
		dpkg -x "$deb" "$ROOT"
	done
	HDR=$ROOT/usr/src/linux-headers-$KREL
	[[ -f $HDR/Makefile && -f $HDR/Module.symvers && -f $HDR/.config ]] \
		|| die "unexpected layout in $DEB_ARCH"

	# The flavour Makefile is "include /usr/src/linux-headers-<abi>-common/Makefile".
	sed -i -E "s#^include /usr/src/#include $ROOT/usr/src/#" "$HDR/Makefile"
	grep -q "^include $ROOT/" "$HDR/Makefile" || die "could not repoint $HDR/Makefile"

	# scripts/ and tools/ point to /usr/lib/linux-kbuild-6.1 (relative links
	# in 6.1.192-2; absolute in some builds), lib/modules/*/{build,source}
	# are absolute.  Re-root every absolute symlink into the tree.
	local link target
	while IFS= read -r -d '' link; do
		target=$(readlink "$link")
		[[ $target == /* ]] || continue
		ln -sfn "$ROOT$target" "$link"
	done < <(find "$ROOT" -type l -print0)
	for link in "$HDR/scripts" "$HDR/tools" "$ROOT/usr/src/linux-headers-$KABI-common/scripts"; do
		[[ -e $link/ ]] || die "dangling after repointing: $link"
	done
	[[ -x $HDR/scripts/mod/modpost && -x $HDR/scripts/basic/fixdep ]] \
		|| die "kbuild tools missing under $HDR/scripts"
}

# --- 4. build the seeds ---------------------------------------------------------
declare -A BUILT=()
declare -A VISITING=()
BUILD_ORDER=()

# Build order: a module's optional DEPS file lists seeds it imports from.
visit() {
	local name=$1 dep
	[[ -n ${BUILT[$name]:-} ]] && return 0
	[[ -z ${VISITING[$name]:-} ]] || die "dependency cycle at $name"
	[[ -f $SRC/$name/$name.c ]] || die "no source $SRC/$name/$name.c"
	VISITING[$name]=1
	if [[ -f $SRC/$name/DEPS ]]; then
		for dep in $(grep -v '^#' "$SRC/$name/DEPS"); do visit "$dep"; done
	fi
	BUILT[$name]=1
	BUILD_ORDER+=("$name")
}

build_one() {
	local name=$1 dir=$BUILD/$1 extra=() dep
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$SRC/$name/." "$dir/"
	[[ -f $dir/Kbuild || -f $dir/Makefile ]] || die "$name: no Kbuild or Makefile"
	if [[ -f $SRC/$name/DEPS ]]; then
		for dep in $(grep -v '^#' "$SRC/$name/DEPS"); do extra+=("$BUILD/$dep/Module.symvers"); done
	fi
	log "building $name"
	# -ffile-prefix-map keeps the cache path out of the objects so that the
	# build-id (and thus the .ko) does not depend on $HOME.
	make -C "$HDR" M="$dir" \
		KBUILD_EXTRA_SYMBOLS="${extra[*]:-}" \
		KCFLAGS="-ffile-prefix-map=$dir=corpus/src/$name -ffile-prefix-map=$ROOT=" \
		modules >&2
	[[ -f $dir/$name.ko ]] || die "$name.ko was not produced"
	strip --strip-debug -o "$OUT/$name.ko.tmp" "$dir/$name.ko"
	if tail -c 28 "$OUT/$name.ko.tmp" | grep -q 'Module signature appended'; then
		rm -f "$OUT/$name.ko.tmp"
		die "$name.ko is signed; expected an unsigned module"
	fi
	chmod 644 "$OUT/$name.ko.tmp"
	mv "$OUT/$name.ko.tmp" "$OUT/$name.ko"
}

# vermagic / any .modinfo field, with or without kmod
modinfo_field() {
	local field=$1 ko=$2
	if command -v modinfo >/dev/null 2>&1; then
		modinfo -F "$field" "$ko"
	else
		objcopy -O binary --only-section=.modinfo "$ko" /dev/stdout \
			| tr '\0' '\n' | sed -n "s/^$field=//p"
	fi
}

reloc_summary() {   # "<section> <type> <count>" for allocated, non-debug sections
	readelf -rW "$1" | awk '
		/^Relocation section/ { s = $3; gsub(/\047/, "", s); next }
		$3 ~ /^R_X86_64_/ && s !~ /^\.rela\.debug/ { c[s " " $3]++ }
		END { for (k in c) print k, c[k] }' | sort
}

write_build_info() {
	local out=$OUT/BUILD-INFO.txt.tmp name ko deb
	{
		echo "# lkmfuzz seed corpus - generated by corpus/build.sh; do not edit."
		echo
		echo "kernel release: $KREL"
		echo "headers Makefile: make -C /usr/src/linux-headers-$KREL M=<dir> modules (tree unpacked with dpkg -x, paths re-rooted)"
		echo "post-processing: strip --strip-debug; modules are NOT signed"
		echo
		echo "## Debian packages (name version sha256)"
		for deb in "$DEB_ARCH" "$DEB_COMMON" "$DEB_KBUILD"; do
			printf '%s %s %s  %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
				"$(sha256sum "$deb" | cut -d' ' -f1)" "$(basename "$deb")"
		done
		echo
		echo "## Toolchain"
		echo "gcc-12: $(gcc-12 --version | head -n1)"
		echo "gcc: $(gcc --version | head -n1)"
		echo "ld: $(ld --version | head -n1)"
		echo "make: $(make --version | head -n1)"
		echo
		echo "## Modules (name size sha256 vermagic)"
		for name in "${BUILD_ORDER[@]}"; do
			ko=$OUT/$name.ko
			printf '%s.ko %s %s vermagic="%s"\n' "$name" "$(stat -c %s "$ko")" \
				"$(sha256sum "$ko" | cut -d' ' -f1)" "$(modinfo_field vermagic "$ko")"
		done
		echo
		echo "## Relocations per module (readelf -rW; section type count; .rela.debug* excluded, stripped)"
		for name in "${BUILD_ORDER[@]}"; do
			ko=$OUT/$name.ko
			echo "$name.ko: types: $(readelf -rW "$ko" | awk '$3 ~ /^R_X86_64_/ {print $3}' | sort -u | tr '\n' ' ')"
			reloc_summary "$ko" | sed 's/^/  /'
		done
	} >"$out"
	mv "$out" "$OUT/BUILD-INFO.txt"
}

build_corpus() {
	local d name
	mkdir -p "$OUT"
	for d in "$SRC"/*/; do
		name=$(basename "$d")
		visit "$name"
	done
	((${#BUILD_ORDER[@]})) || die "no modules under $SRC"
	rm -rf "$BUILD"
	mkdir -p "$BUILD"
	for name in "${BUILD_ORDER[@]}"; do build_one "$name"; done
	write_build_info
	log "built: ${BUILD_ORDER[*]}"
}

# --- 5. reference data: Module.symvers and .config ------------------------------
write_data() {
	mkdir -p "$DATA"
	local symvers=$HDR/Module.symvers config=$HDR/.config
	local deb_sha sym_sha cfg_sha deb_name deb_ver cfg_name=config
	deb_name=$(basename "$DEB_ARCH")
	deb_ver=$(dpkg-deb -f "$DEB_ARCH" Version)
	deb_sha=$(sha256sum "$DEB_ARCH" | cut -d' ' -f1)
	sym_sha=$(sha256sum "$symvers" | cut -d' ' -f1)
	cfg_sha=$(sha256sum "$config" | cut -d' ' -f1)

	# Same input + same xz => same bytes (single-threaded, fixed preset).
	xz -9 -T1 --check=crc64 -c "$symvers" >"$DATA/Module.symvers.xz.tmp"
	mv "$DATA/Module.symvers.xz.tmp" "$DATA/Module.symvers.xz"
	rm -f "$DATA/config.xz.tmp"
	xz -9 -T1 --check=crc64 -c "$config" >"$DATA/$cfg_name.xz.tmp"
	mv "$DATA/$cfg_name.xz.tmp" "$DATA/$cfg_name.xz"
	[[ $(xz -dc "$DATA/Module.symvers.xz" | sha256sum | cut -d' ' -f1) == "$sym_sha" ]] \
		|| die "Module.symvers.xz does not round-trip"

	if [[ -f $DATA/SOURCE.md ]] && grep -qF "$deb_sha" "$DATA/SOURCE.md" \
	   && grep -qF "$sym_sha" "$DATA/SOURCE.md" && grep -qF "$cfg_sha" "$DATA/SOURCE.md"; then
		log "SOURCE.md already describes $deb_name; left unchanged"
		return 0
	fi
	cat >"$DATA/SOURCE.md.tmp" <<EOF
# Source of the kernel reference data

Both files come from the Debian 12 (bookworm) package
\`$PKG_ARCH\`, version \`$deb_ver\` (kernel release \`$KREL\`),
obtained on $(date -u +%Y-%m-%d) with \`apt-get download $PKG_ARCH=$deb_ver\`
from deb.debian.org and unpacked with \`dpkg -x\` (no kernel installed).

| item | value |
|---|---|
| package file | \`$deb_name\` |
| package sha256 | \`$deb_sha\` |

## Module.symvers.xz

Copy of \`/usr/src/linux-headers-$KREL/Module.symvers\` from that package
(the symbol CRC table of the Debian kernel: \`CRC<TAB>symbol<TAB>vmlinux-or-module<TAB>EXPORT_SYMBOL[_GPL]<TAB>namespace\`),
compressed with \`xz -9 -T1 --check=crc64\`; readable with Python's
\`lzma.open(path, "rt")\`.

| item | value |
|---|---|
| uncompressed sha256 | \`$sym_sha\` |
| uncompressed size | $(stat -c %s "$symvers") bytes |
| lines | $(wc -l <"$symvers") |

## $cfg_name.xz

Copy of \`/usr/src/linux-headers-$KREL/.config\` from the same package (the
kernel build configuration), compressed the same way.

| item | value |
|---|---|
| uncompressed sha256 | \`$cfg_sha\` |
| uncompressed size | $(stat -c %s "$config") bytes |

## Regenerating

    bash corpus/fetch-symvers.sh$KERNEL_ARG            # newest ABI apt offers
    LKMFUZZ_KABI=$KABI bash corpus/fetch-symvers.sh$KERNEL_ARG   # this exact one

(\`corpus/fetch-symvers.sh\` is \`corpus/build.sh --data-only\`; the .deb is
cached in \`\${LKMFUZZ_CACHE:-\$HOME/.cache/lkmfuzz}/debian\`.)
Debian's package is GPL-2.0 (see /usr/share/doc/$PKG_ARCH/copyright in it).
EOF
	mv "$DATA/SOURCE.md.tmp" "$DATA/SOURCE.md"
	log "wrote $DATA (Module.symvers.xz, $cfg_name.xz, SOURCE.md)"
}

main() {
	ensure_deps
	fetch_all
	extract
	if ((do_corpus)); then build_corpus; fi
	if ((do_data)); then write_data; fi
	log "done (kernel $KREL, packages $KVER)"
	if ((tree_only)); then printf '%s\n' "$HDR"; fi
}

main
