
# The logic below follows the generated word lists above (aero-docgen).
# Project flags, after --, are read from the plugin itself with
# `aerohost describe PLUGIN --json`.

# _aerohost_project_flags PLUGIN: the plugin's own flags, one per line
# (--name, and --no-name for booleans).
_aerohost_project_flags() {
  [[ -f $1 ]] || return 0
  aerohost describe "$1" --json 2>/dev/null | awk '
    /^ *"name": /   { name = $2; gsub(/[",]/, "", name) }
    /^ *"c_name": / { flag = name }
    /^ *"type": /   { if (flag != "") { print "--" flag
                        if ($2 ~ /BOOL/) print "--no-" flag }
                      flag = "" }'
}

_aerohost() {
  local cur=${COMP_WORDS[COMP_CWORD]-} prev=${COMP_WORDS[COMP_CWORD - 1]-}
  local cmd= plugin= i w v
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]-}
    if [[ $w == -- ]]; then
      [[ $cur == -* ]] &&
        COMPREPLY=($(compgen -W "$(_aerohost_project_flags "$plugin")" -- "$cur"))
      return 0
    fi
    if [[ -z $cmd ]]; then
      [[ $w != -* ]] && cmd=$w
      continue
    fi
    v=_aerohost_valopts_$cmd
    if [[ " ${!v-} " == *" $w "* ]]; then
      ((i++)) # the option's value
    elif [[ $w != -* && -z $plugin ]]; then
      plugin=$w
    fi
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$_aerohost_commands --help --version" -- "$cur"))
    return 0
  fi
  v=_aerohost_valopts_$cmd
  if [[ " ${!v-} " == *" $prev "* ]]; then
    case $prev in
    --format) COMPREPLY=($(compgen -W "dot text" -- "$cur")) ;;
    --executor) COMPREPLY=($(compgen -W "local slurm" -- "$cur")) ;;
    --store) COMPREPLY=($(compgen -d -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    v=_aerohost_opts_$cmd
    COMPREPLY=($(compgen -W "${!v-} --" -- "$cur"))
  elif [[ -z $plugin ]]; then
    COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -S / -- "$cur"))
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
complete -F _aerohost aerohost
