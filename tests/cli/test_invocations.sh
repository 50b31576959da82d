#!/usr/bin/env bash
# An invocation's facts once (schema 7): git commit, image, packages, plugin
# digest, command line... are kept in `invocations`, one row per aerohost
# invocation, instead of in every run's row; `runs` is a view with the old
# columns. tests/cli/data/store-v6.tar.gz is a store (database and blobs)
# made by tracker-local at schema 6 with the bench_steps fixture: runs 1-3
# (dev, git 1111..., packages, a message with quotes), 4-6 (reused, git
# 2222..., passthrough names), 7-8 (prod, git 3333...; run 8's command
# line then changed with SQL, as if another host ran it), 9-10 (dev,
# --fresh, no git facts); run 3 has a fact without a column ("extra_fact",
# in run_env). The SHA-256 sums below are of what the aeromancy of schema
# 6 printed for it: the upgraded store must print the very same bytes
# (JSON reals in their shortest form since, as test_metric_blocks.sh says:
# the same values, parsed, as schema 6 printed).
. "$(dirname "$0")/../lib.sh"

A=$AEROMANCY
P=$AERO_FIXTURES/bench_steps.so
export TZ=UTC
cd "$AERO_TMP" || exit 1

# The two diff outputs are schema 6's with one row more, the runs'
# durations (run duration_s), which diff's help always promised: without
# it they are schema 6's bytes (checked when the row came, d9522a5).
declare -A want=(
  [artifacts.json]=f9c3b6da3068d4a34ec65fb5b5a7326d6013572625f6cb2e9b902e91473c05ef
  [diff-1-4.json]=d817b5b810a45192af9a810854dedc5fbe0511462b6e66b122fb2eaf8646baf6
  [diff-7-8.txt]=83efa03890dd413a2935f2af80caa3be7481201f65cee87e01b35c9193515ac6
  [lineage.json]=fb1edc5031bf7d40eb3af037df469f051eda29f384231959b720ec769e8f66e8
  [runs-branch.json]=301878d446981de654720358d5a213b0db878ba5b9a365412d7b6a22e40f9753
  [runs-limit.txt]=d4451677ac56145d36adce59b3c1a772ef8c9a272faff10d05654bf56c6ea809
  [runs.json]=df982df82acc163f6a287308f1c95e6399b0ecff0470615933f8510df57e5a37
  [runs.txt]=2688c9f13f96e6324f93cbcfc5070b8b22508468c818096b90178dd826eb4f37
  [show-1.json]=bbb656997a729f2bb57a5f9a0108e98dc044bf7e16482101596a0fd0ab438984
  [show-1.txt]=8e328ebe4a2b6c3ecffec80119997f88ed4a2cb08cc4b9c9f6962adb0fc27a79
  [show-10.json]=0097112e1ce8aba692ae558667535421aac956d73f52e4d7c5ecc01753da3d45
  [show-10.txt]=cf95abf8fa610665e1b3fe6352eceb944cfb455b362844c357d84e46588a0d99
  [show-2.json]=882d5073a74342a71385372bbed1a4bba64f70c7a10fb71e702b2ff283a06d20
  [show-2.txt]=8e1038ef1b5c22275759e905dabf0abb7fefa35689c7c205f6b33db6e4ae8bd7
  [show-3.json]=73f200f03537feeb2e955cc445f30bb86a311d59e88700caebaaa2aafe3531c4
  [show-3.txt]=144299c141d6bbe16628ada537588eb940af334fecad2bb1725121b35dabbfc3
  [show-4.json]=24fdd555c8475f516cce11d0fdb93245b51f9edc93869cd1434dd0af441e28ec
  [show-4.txt]=7ac3fb5228e3073f898a75abcf06356502c2433884c8376a04c55c568d98cb96
  [show-5.json]=f858d7f73844474be92997833c27fd269b04d05432b8a03fbcf330d7e0df55e2
  [show-5.txt]=a13e6a0c3799a0f55dc8b3a01e9850cf7155ec0c24cce56082d7c97058da1dde
  [show-6.json]=224b713503ddf4f3e6721081d66911a1cd0f3f5ea013127732e89bc97cfd81e9
  [show-6.txt]=3c1864a8e747b0127cbc0015c44ed27e2643b4d29dde6c6bb7738cd3760c6eee
  [show-7.json]=6b3dacf372e7c261f4ff9ac422b4ba5b557a06653a3831d57ddc57a5ea80ffeb
  [show-7.txt]=027a83f7bae5385ca85e90601335f8a127c9055e543d4ad1abc735636a620d43
  [show-8.json]=8455ca55a2c92c846251416c09adbcfc24163d8c57983f87e9cf9044c806ba81
  [show-8.txt]=0533b0202ac8626897ca569e73e90a59c4a0dc0a7c3d6ae8c3807a364485b1de
  [show-9.json]=e3ecf618b0b22b29680f7e5690a582994b66e4f617528791d60055aff2466e9e
  [show-9.txt]=8a2062cb8bf7710d5e3830dbf01eeeaeb8f5372d8668b70477817a345cfba54e
)

outputs() {
  local A=$1 s=(--store "$2") d=$3 n
  mkdir -p "$d"
  "$A" runs "${s[@]}" >"$d/runs.txt" &&
    "$A" runs --json "${s[@]}" >"$d/runs.json" &&
    "$A" runs --branch feature-b --json "${s[@]}" >"$d/runs-branch.json" &&
    "$A" runs --limit 3 "${s[@]}" >"$d/runs-limit.txt" &&
    "$A" diff 1 4 --json "${s[@]}" >"$d/diff-1-4.json" &&
    "$A" diff 7 8 "${s[@]}" >"$d/diff-7-8.txt" &&
    "$A" artifacts --json "${s[@]}" >"$d/artifacts.json" &&
    "$A" lineage bench/step-2:v0 --format json "${s[@]}" >"$d/lineage.json" ||
    return 1
  for n in 1 2 3 4 5 6 7 8 9 10; do
    "$A" show "$n" "${s[@]}" >"$d/show-$n.txt" &&
      "$A" show "$n" --json "${s[@]}" >"$d/show-$n.json" || return 1
  done
}

# same_as_schema_6 DIR: the outputs in DIR are those of schema 6.
same_as_schema_6() {
  local name
  for name in "${!want[@]}"; do
    assert_eq "$(sha256sum <"$1/$name" | cut -c1-64)" "${want[$name]}" \
      "$name (first line: $(head -c 120 "$1/$name" | head -1))"
  done
}

# unpack_v6 DIR: the schema 6 store in DIR, with the empty folders the
# archive leaves out.
unpack_v6() {
  mkdir -p "$1/tmp" "$1/views"
  tar -C "$1" -xzf "$AERO_SOURCE_DIR/tests/cli/data/store-v6.tar.gz"
}

OLD=$AERO_TMP/v6
unpack_v6 "$OLD"
osql() { sqlite3 -batch -noheader "$OLD/aeromancy.db" "$1"; }

case_ "a schema 6 store is upgraded on open: one invocation per streak of runs"
assert_eq "$(osql "PRAGMA user_version")" 6
rows=$(osql "SELECT * FROM runs ORDER BY id" | sha256sum)
columns=$(osql "SELECT group_concat(name) FROM pragma_table_info('runs')")
run "$A" runs --store "$OLD"
assert_rc 0
assert_eq "$(osql "PRAGMA user_version")" 10
assert_eq "$(osql "SELECT type FROM sqlite_schema WHERE name = 'runs'")" view
# Runs 1-3, 4-6, 7, 8 (its command line differs), 9-10.
assert_eq "$(osql "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM
  run_records GROUP BY invocation_id ORDER BY min(id))")" "3,3,1,1,2"
assert_eq "$(osql "SELECT count(*) FROM invocations")" 5
case_ "the view runs has the old table's columns and rows (sqlite3 scripts)"
assert_eq "$(osql "SELECT group_concat(name) FROM pragma_table_info('runs')")" \
  "$columns"
assert_eq "$(osql "SELECT * FROM runs ORDER BY id" | sha256sum)" "$rows"
assert_eq "$(osql "SELECT git_commit FROM runs WHERE id = 5")" \
  2222222222222222222222222222222222222222
run "$A" fsck --store "$OLD"
assert_rc 0

case_ "runs, show, diff, artifacts and lineage print the bytes schema 6 printed"
outputs "$A" "$OLD" "$AERO_TMP/upgraded" || fail "reading the upgraded store failed"
same_as_schema_6 "$AERO_TMP/upgraded"

case_ "a copy of the upgraded store: every run keeps its own facts"
run "$A" store copy "$OLD" "$AERO_TMP/copy"
assert_rc 0
for n in 1 2 3 4 5 6 7 8 9 10; do
  # The copy adds the fact copied_from (and the tag copied).
  assert_eq "$("$A" show "$n" --store "$AERO_TMP/copy" | grep '^environment' |
    grep -v copied_from)" "$(grep '^environment' "$AERO_TMP/upgraded/show-$n.txt")" \
    "run $n's facts in the copy"
done

case_ "gc removes the invocations only removed runs pointed at"
GC=$AERO_TMP/gc
unpack_v6 "$GC"
run "$A" gc --keep-dev 0 --store "$GC"
assert_rc 0
gsql() { sqlite3 -batch -noheader "$GC/aeromancy.db" "$1"; }
assert_eq "$(gsql "SELECT group_concat(id) FROM runs")" "7,8"
assert_eq "$(gsql "SELECT count(*) FROM invocations")" 2
assert_eq "$(gsql "SELECT group_concat(DISTINCT git_commit) FROM runs")" \
  3333333333333333333333333333333333333333
run "$A" show 8 --store "$GC"
assert_eq "$(grep '^environment' <<<"$out")" \
  "$(grep '^environment' "$AERO_TMP/upgraded/show-8.txt")"

case_ "a run from each invocation shows its own facts; one row per invocation"
new_store inv
S=(--store "$AERO_TMP/inv")
AEROMANCY_GIT_COMMIT=aaaa AEROMANCY_GIT_BRANCH=one \
  run "$AEROHOST" run "${S[@]}" --dev "$P" -- --actions 3 --shape chain
assert_rc 0
# The same graph again, from another commit: every action reused.
AEROMANCY_GIT_COMMIT=bbbb AEROMANCY_GIT_BRANCH=two \
  run "$AEROHOST" run "${S[@]}" --dev "$P" -- --actions 3 --shape chain
assert_rc 0
assert_contains "$err" "0 ok, 3 reused"
isql() { sqlite3 -batch -noheader "$AERO_TMP/inv/aeromancy.db" "$1"; }
assert_eq "$(isql "SELECT count(*) FROM invocations")" 2
assert_eq "$(isql "SELECT group_concat(id || ':' || status || ':' ||
  git_commit || ':' || git_branch, ' ') FROM runs")" \
  "1:ok:aaaa:one 2:ok:aaaa:one 3:ok:aaaa:one 4:reused:bbbb:two 5:reused:bbbb:two 6:reused:bbbb:two"
for n in 1 3; do
  run "$A" show "$n" "${S[@]}"
  assert_contains "$out" "environment	git_commit	aaaa"
  assert_contains "$out" "environment	git_branch	one"
done
for n in 4 6; do
  run "$A" show "$n" "${S[@]}"
  assert_contains "$out" "environment	git_commit	bbbb"
  assert_contains "$out" "--actions 3 --shape chain"
  assert_not_contains "$out" aaaa
done
run "$A" runs --branch two "${S[@]}"
assert_eq "$(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')" "6 5 4 "

done_
