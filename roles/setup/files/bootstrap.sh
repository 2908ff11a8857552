# shellcheck shell=sh disable=SC2154
# ns.mitogen.setup Python bootstrap. POSIX sh, run by ansible.builtin.raw as root: no Python needed.
# Set before this text by the role: manager (the package manager the probe found) and package
# (the package to install). Prints NSM-BOOTSTRAP-CHANGED when it installed something.

installed() {
    case $manager in
        apt-get) dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q ' installed$' ;;
        dnf | microdnf | yum | zypper) rpm -q "$package" >/dev/null 2>&1 ;;
        apk) apk info -e "$package" >/dev/null 2>&1 ;;
        pacman) pacman -Q "$package" >/dev/null 2>&1 ;;
        *) return 1 ;;
    esac
}

install() {
    case $manager in
        apt-get)
            # From the package cache and the current lists first; refresh the lists only if that fails.
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package" ||
                { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package"; } ;;
        dnf | microdnf | yum) "$manager" install -y "$package" ;;
        zypper) zypper --non-interactive install "$package" ;;
        apk) apk add "$package" || { apk update && apk add "$package"; } ;;
        pacman) pacman -Sy --noconfirm "$package" ;;
        *) echo "no supported package manager (apt-get, dnf, microdnf, yum, zypper, apk, pacman) found" >&2; return 1 ;;
    esac
}

if installed; then
    echo "NSM-BOOTSTRAP-UNCHANGED: $package is already installed"
    exit 0
fi
install || exit 1
installed || { echo "$manager reported success but $package is not installed" >&2; exit 1; }
echo NSM-BOOTSTRAP-CHANGED
