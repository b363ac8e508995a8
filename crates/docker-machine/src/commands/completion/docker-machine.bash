# bash completion for docker-machine. Load it with
#   source <(docker-machine completion bash)
# or save it as /etc/bash_completion.d/docker-machine. The candidates come from
# `docker-machine __complete`: commands, flags, drivers and the store's machines.

_docker_machine() {
    local words=() word i cur out candidate
    # COMP_WORDS without the program, glued back where readline broke a word at `=` or
    # `:` (`--driver=none` is one word to docker-machine), unquoted.
    for ((i = 1; i <= COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if ((${#words[@]})) && [[ $word == [=:] || ${words[-1]} == *[=:] ]]; then
            words[-1]+=$word
        else
            words+=("$word")
        fi
    done
    ((${#words[@]})) || return
    for i in "${!words[@]}"; do
        word=${words[i]}
        if [[ $word == \"*\" || $word == \'*\' ]]; then
            word=${word:1:${#word}-2}
        else
            word=${word//\\ / }
        fi
        words[i]=$word
    done
    cur=${words[-1]}
    local IFS=$'\n'
    out=($(docker-machine __complete "${words[@]:0:${#words[@]}-1}" "cur:$cur" 2>/dev/null))
    COMPREPLY=()
    if [[ ${out[0]} == ":files" ]]; then
        compopt -o default
        return
    fi
    # Readline replaces only what follows its own last word break.
    local strip=$((${#cur} - ${#COMP_WORDS[COMP_CWORD]}))
    ((strip < 0)) && strip=0
    for candidate in "${out[@]}"; do
        candidate=${candidate%%$'\t'*}
        COMPREPLY+=("${candidate:strip}")
    done
}

complete -F _docker_machine docker-machine
