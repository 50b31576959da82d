#!/usr/bin/env bash
# Project flags end to end: every flag form, aeromancy.ini [flags] defaults
# and their override by the command line, and every bad value. The fixture
# ldr_good writes the values its constructor received (through libffi)
# into its output names, "<option>.<value>", so `aerohost list` shows what
# really arrived. Bytes outside [A-Za-z0-9.-] of a value read as _XX.
. "$(dirname "$0")/../lib.sh"

G=$AERO_FIXTURES/ldr_good.so
T=$AERO_FIXTURES/ldr_two.so
PROJECT=$AERO_TMP/project
mkdir -p "$PROJECT"
cd "$PROJECT" || exit 1

# got ARGS...: list with project flags ARGS; must succeed.
got() {
  run "$AEROHOST" list "$G" -- "$@"
  assert_rc 0
  assert_eq "$err" "" "stderr"
}
has() { assert_contains "$out" "$1"; }

case_ "defaults from the plugin"
got
has "[learning_rate] learning_rate.0.01"
has "[epochs] epochs.10"
has "[loss] loss.mse"
has "[shuffle] shuffle.true"
has "[notes] notes._null"
has "[verbose] verbose.false"
has "[summary] summary"

case_ "--name value"
got --epochs 42 --loss huber
has "[epochs] epochs.42"
has "[loss] loss.huber"

case_ "--name=value"
got --learning-rate=0.5 --notes=a=b
has "[learning_rate] learning_rate.0.5"
has "[notes] notes.a_3db"

case_ "short letters"
got -e 7 -l0.25
has "[epochs] epochs.7"
has "[learning_rate] learning_rate.0.25"

case_ "underscore reads as dash"
got --learning_rate 3
has "[learning_rate] learning_rate.3"

case_ "negative numbers are values"
got --epochs -5 --learning-rate -1e-3
has "[epochs] epochs.-5"
has "[learning_rate] learning_rate.-0.001"

case_ "booleans: --flag, --no-flag, --flag=false, short letter"
got --no-shuffle --verbose
has "[shuffle] shuffle.false"
has "[verbose] verbose.true"
got --shuffle=false --verbose=no
has "[shuffle] shuffle.false"
has "[verbose] verbose.false"
got --no-shuffle -s
has "[shuffle] shuffle.true"

case_ "strings keep spaces and symbols"
got --notes "hello world/2"
has "[notes] notes.hello_20world_2f2"

case_ "the last occurrence wins"
got --epochs 1 --epochs 2
has "[epochs] epochs.2"

# bad ARGS... WANT: refused before anything runs.
bad_flag() {
  local want=${*: -1}
  run "$AEROHOST" list "$G" -- "${@:1:$#-1}"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$want"
  assert_eq "$out" "" "nothing on stdout"
}

case_ "unknown flag suggests the nearest"
bad_flag --learnin-rate 1 "unknown flag --learnin-rate (did you mean --learning-rate?)"
case_ "unknown flag far from any"
bad_flag --frobnicate "unknown flag --frobnicate"
assert_not_contains "$err" "did you mean"
case_ "unknown short letter"
bad_flag -q "unknown flag -q"
case_ "bad integer"
bad_flag --epochs abc "--epochs: 'abc' is not an integer"
case_ "integer out of range"
bad_flag --epochs 99999999999999999999 "--epochs: '99999999999999999999' is out of range"
case_ "bad double"
bad_flag -l 1x "-l: '1x' is not a number"
case_ "non-finite double"
bad_flag --learning-rate inf "--learning-rate: 'inf' is not a finite number"
case_ "double underflow is rejected like overflow"
bad_flag --learning-rate 1e-400 "--learning-rate: '1e-400' is too close to 0 for a double"
case_ "bad choice lists the choices"
bad_flag --loss l1 "--loss: 'l1' is not one of: mse, mae, huber"
case_ "bad choice close to one"
bad_flag --loss maee "(did you mean mae?)"
case_ "bad boolean"
bad_flag --shuffle=maybe "--shuffle: 'maybe' is not a boolean"
case_ "missing value at the end"
bad_flag --epochs "--epochs needs a value (INT)"
case_ "missing value before another flag"
bad_flag --loss --verbose "--loss needs a value (CHOICE: mse, mae, huber)"
case_ "--no- on a non-boolean"
bad_flag --no-epochs "--no-epochs: --epochs is not a boolean flag"
case_ "stray word"
bad_flag stray "unexpected argument 'stray' among project flags"

case_ "run refuses a bad flag before anything runs"
run "$AEROHOST" run --dev "$G" -- --epochs x
assert_rc 3
assert_one_line "$err"
store_exists && fail "a store was created"

case_ "aeromancy.ini [flags] gives defaults"
cat >aeromancy.ini <<'INI'
[project]
name = ldrgood

[flags]
epochs = 5
learning-rate = 0.2
    shuffle = off
notes = from the ini ; a comment
INI
got
has "[epochs] epochs.5"
has "[learning_rate] learning_rate.0.2"
has "[shuffle] shuffle.false"
has "[notes] notes.from_20the_20ini"
has "[loss] loss.mse"

case_ "the command line overrides aeromancy.ini"
got --epochs 6 --shuffle
has "[epochs] epochs.6"
has "[shuffle] shuffle.true"
has "[learning_rate] learning_rate.0.2"

case_ "AEROMANCY_CONFIG names another file"
printf '[flags]\nloss = mae\n' >"$AERO_TMP/other.ini"
AEROMANCY_CONFIG=$AERO_TMP/other.ini got
has "[loss] loss.mae"
has "[epochs] epochs.10"

# bad_ini TEXT WANT: the file is refused with file and line.
bad_ini() {
  printf '%b' "$1" >aeromancy.ini
  run "$AEROHOST" list "$G"
  assert_rc 3
  assert_one_line "$err"
  assert_contains "$err" "$2"
  assert_eq "$out" "" "nothing on stdout"
}

case_ "malformed aeromancy.ini names file and line"
bad_ini '[flags]\nepochs = 3\n[broken\n' \
  "aeromancy.ini:3: malformed line (expected [section], key = value, or a ; comment)"
case_ "unknown key in [flags]"
bad_ini '; flags\n[flags]\nlearnin_rate = 0.1\n' \
  "aeromancy.ini:3: [flags] unknown key 'learnin_rate' (did you mean learning_rate?)"
case_ "bad value in [flags]"
bad_ini '[flags]\n\nepochs = many\n' \
  "aeromancy.ini:3: [flags] epochs: 'many' is not an integer"
case_ "bad choice in [flags]"
bad_ini '[flags]\nloss = l2\n' \
  "aeromancy.ini:2: [flags] loss: 'l2' is not one of: mse, mae, huber"
case_ "unknown section in aeromancy.ini"
bad_ini '[project]\nname = x\n[FLAGS]\nepochs = 3\n' \
  "aeromancy.ini:3: unknown section [FLAGS] (did you mean [flags]?)"
case_ "duplicate key in aeromancy.ini"
bad_ini '[flags]\nepochs = 3\nloss = mae\nepochs = 4\n' \
  "aeromancy.ini:4: duplicate key 'epochs' in [flags] (first set on line 2)"
case_ "one flag set twice under its two spellings"
bad_ini '[flags]\nlearning_rate = 0.1\nlearning-rate = 0.2\n' \
  "aeromancy.ini:3: [flags] 'learning-rate' sets learning_rate again (first set on line 2)"
case_ "AEROMANCY_CONFIG naming a missing file"
rm -f aeromancy.ini
AEROMANCY_CONFIG=$AERO_TMP/nosuch.ini run "$AEROHOST" run --dev "$G"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "$AERO_TMP/nosuch.ini: no such file (named by AEROMANCY_CONFIG)"
store_exists && fail "a store was created"

case_ "a bad ini is refused even when the CLI sets the key"
printf '[flags]\nepochs = many\n' >aeromancy.ini
run "$AEROHOST" list "$G" -- --epochs 3
assert_rc 3
assert_contains "$err" "aeromancy.ini:2:"
rm -f aeromancy.ini

case_ "values reach the constructor in a real run"
run "$AEROHOST" run --dev "$G" -- --epochs 9 --loss mae
assert_rc 0
assert_contains "$err" "[epochs] epochs.9"
assert_contains "$err" "[loss] loss.mae"

case_ "--help among project flags shows the project's options"
run "$AEROHOST" list "$G" -- --epochs 3 --help
assert_rc 0
assert_contains "$out" "--learning-rate DOUBLE"
assert_contains "$out" "--[no-]shuffle"

case_ "--help next to a bad flag still shows help"
run "$AEROHOST" list "$G" -- --bad-flag --help
assert_rc 0
assert_contains "$out" "--learning-rate DOUBLE"

case_ "-h as the value of a string flag is a value"
got --notes -h
has "[notes] notes.-h"

case_ "--builder picks the builder, default the first"
run "$AEROHOST" list "$T" -- --count 3
assert_rc 0
assert_eq "$out" "[alpha] alpha-3"
run "$AEROHOST" list --builder beta "$T" -- --label x
assert_rc 0
assert_eq "$out" "[beta] beta-x"

case_ "flags belong to the chosen builder"
run "$AEROHOST" list --builder beta "$T" -- --count 3
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "unknown flag --count"

case_ "--builder with an unknown name lists the builders"
run "$AEROHOST" list --builder gamma "$T"
assert_rc 3
assert_one_line "$err"
assert_contains "$err" "no builder named 'gamma' (this plugin has: alpha, beta)"

done_
