#!/usr/bin/env bash
# check_release_image.sh RELEASE.elf TEST.elf: the release firmware image carries none of the
# test hooks (only the weak no-op defaults, no "TEST BUILD" banner, no hook parser), while the
# test image does (so the check can tell them apart).
set -euo pipefail
rel="${1:?release image}"
tst="${2:?test image}"
nm_hooks() { arm-none-eabi-nm -C "$1" | awk '$3 ~ /^locus::cm::test::/ {print $2, $3}'; }
bad=0
if grep -q "TEST BUILD" "$rel"; then echo "FAIL: $rel contains the TEST BUILD banner"; bad=1; fi
if grep -q "cut_mode" "$rel"; then echo "FAIL: $rel contains the test hooks' command-line parser"; bad=1; fi
if nm_hooks "$rel" | grep -qv '^W '; then echo "FAIL: $rel defines strong test hooks:"; nm_hooks "$rel"; bad=1; fi
if ! grep -q "TEST BUILD" "$tst"; then echo "FAIL: $tst lacks the TEST BUILD banner"; bad=1; fi
if ! nm_hooks "$tst" | grep -q '^T .*banner'; then echo "FAIL: $tst has no strong test hooks"; bad=1; fi
[[ $bad == 0 ]] && echo "ok: $(basename "$rel") has no test hooks; $(basename "$tst") has them"
exit $bad
