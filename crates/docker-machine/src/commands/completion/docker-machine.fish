# fish completion for docker-machine. Load it with
#   docker-machine completion fish | source
# or save it as ~/.config/fish/completions/docker-machine.fish. The candidates come from
# `docker-machine __complete`: commands, flags, drivers and the store's machines.

function __docker_machine_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (docker-machine __complete $words[2..-1] "cur:$cur" 2>/dev/null)
    if test "$out[1]" = ":files"
        __fish_complete_path "$cur"
    else
        printf '%s\n' $out
    end
end

complete -c docker-machine -f -a '(__docker_machine_complete)'
