
# The logic below follows the generated word lists above (aero-docgen).
# Project flags, after `aeromancy go ... --`, come from the project's
# plugin (--plugin PATH, else the last one `aeromancy go` built for the
# project of the current folder), read by aerohost's completion.

# _aeromancy_plugin: the plugin `aeromancy go` built last for the project
# of the current folder, found as the runner finds it: its root is the git
# work tree holding the folder, else the folder; its name is [project] name
# of the root's aeromancy.ini, else the root folder's name (a project needs
# no aeromancy.ini).
_aeromancy_plugin() {
  local root name
  root=$(git rev-parse --show-toplevel 2>/dev/null) || root=$PWD
  name=$(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*\([^;#[:space:]]*\).*/\1/p' \
    "$root/aeromancy.ini" 2>/dev/null | head -n 1)
  [[ -n $name ]] || name=${root##*/}
  [[ -n $name ]] || return 0
  ls -t "${XDG_CACHE_HOME:-$HOME/.cache}"/aeromancy/build/"$name"-*/*/plugin/*.so \
    2>/dev/null | head -n 1
}

_aeromancy() {
  local cur=${COMP_WORDS[COMP_CWORD]-} prev=${COMP_WORDS[COMP_CWORD - 1]-}
  local cmd= plugin= i w v
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]-}
    if [[ $w == -- ]]; then
      [[ $cur == -* ]] || return 0
      declare -F _aerohost_project_flags >/dev/null ||
        . "${BASH_SOURCE[0]%/*}/aerohost" 2>/dev/null
      declare -F _aerohost_project_flags >/dev/null || return 0
      [[ -n $plugin ]] || plugin=$(_aeromancy_plugin)
      COMPREPLY=($(compgen -W "$(_aerohost_project_flags "$plugin")" -- "$cur"))
      return 0
    fi
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd=$w
      continue
    fi
    [[ $w == --plugin ]] && plugin=${COMP_WORDS[i + 1]-}
    v=_aeromancy_valopts_${cmd//-/_}
    [[ " ${!v-} " == *" $w "* ]] && ((i++))
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$_aeromancy_commands --help --version" -- "$cur"))
    return 0
  fi
  v=_aeromancy_valopts_${cmd//-/_}
  if [[ " ${!v-} " == *" $prev "* ]]; then
    case $cmd$prev in
    *--plugin) COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -S / -- "$cur")) ;;
    *--project) COMPREPLY=($(compgen -d -- "$cur")) ;;
    *--store) COMPREPLY=($(compgen -d -- "$cur")) ;;
    runs--status) COMPREPLY=($(compgen -W "running ok failed crashed timed_out killed skipped bailed reused" -- "$cur")) ;;
    lineage--format) COMPREPLY=($(compgen -W "text dot json" -- "$cur")) ;;
    go--format) COMPREPLY=($(compgen -W "dot text" -- "$cur")) ;;
    go--executor) COMPREPLY=($(compgen -W "local slurm" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    v=_aeromancy_opts_${cmd//-/_}
    COMPREPLY=($(compgen -W "${!v-}" -- "$cur"))
  elif [[ $cmd == help ]]; then
    COMPREPLY=($(compgen -W "$_aeromancy_commands aeromancy.ini" -- "$cur"))
  elif [[ $cmd == store && $prev == store ]]; then
    COMPREPLY=($(compgen -W "copy" -- "$cur")) # store's one subcommand
  fi
  return 0
}
complete -F _aeromancy aeromancy
