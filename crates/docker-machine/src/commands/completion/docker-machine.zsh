#compdef docker-machine
# zsh completion for docker-machine. Load it with
#   source <(docker-machine completion zsh)
# (after compinit), or save it as _docker-machine in a directory of $fpath. The
# candidates come from `docker-machine __complete`: commands, flags, drivers and the
# store's machines.

_docker_machine() {
    local -a out candidates descriptions
    local line
    # The words as typed, unquoted (`-s my\ store` names the store `my store`).
    out=("${(@f)$(docker-machine __complete "${(@Q)words[2,CURRENT-1]}" "cur:${(Q)words[CURRENT]}" 2>/dev/null)}")
    if [[ ${out[1]} == ":files" ]]; then
        _files
        return
    fi
    for line in "${out[@]}"; do
        [[ -z $line ]] && continue
        candidates+=("${line%%$'\t'*}")
        if [[ $line == *$'\t'* ]]; then
            descriptions+=("${line%%$'\t'*}  -- ${line#*$'\t'}")
        else
            descriptions+=("${line}")
        fi
    done
    (( ${#candidates} )) && compadd -l -d descriptions -- "${candidates[@]}"
}

if (( $+functions[compdef] )); then
    compdef _docker_machine docker-machine
fi
