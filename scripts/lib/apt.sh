# Sourced by the install scripts. apt_install WHO PACKAGE...: installs the packages named (none:
# nothing to do); without root, names them and the command that installs them, and fails.
apt_install() {
    local who="$1"
    shift
    [ $# -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "$who: missing packages: $*" >&2
        echo "install them with: sudo apt-get install -y --no-install-recommends $*" >&2
        exit 1
    fi
    echo "$who: installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
