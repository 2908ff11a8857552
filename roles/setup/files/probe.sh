# shellcheck shell=sh disable=SC2154
# ns.mitogen.setup target probe. POSIX sh, run by ansible.builtin.raw: no Python needed.
# It only reads: nothing is written on the target.
# Set before this text by the role: fallback (interpreter names, discovery order), configured
# (ansible_python_interpreter, or auto), min (lowest supported Python, e.g. 3.9), tmpdirs
# (temporary directories, ~ allowed). Prints one JSON object between two marker lines.

esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\000-\037'; }
str() { printf '"%s"' "$(esc "$1")"; }
bool() { if [ "$1" = 1 ]; then printf true; else printf false; fi; }

min_major=${min%%.*}
min_minor=${min#*.}
min_minor=${min_minor%%.*}
supported() {  # supported VERSION: at least $min
    v_major=${1%%.*}
    v_minor=${1#*.}
    v_minor=${v_minor%%.*}
    case $v_major$v_minor in '' | *[!0-9]*) return 1 ;; esac
    [ "$v_major" -gt "$min_major" ] || { [ "$v_major" -eq "$min_major" ] && [ "$v_minor" -ge "$min_minor" ]; }
}

seen=' '
pythons=''
best='' best_version=''
version_of() {  # the Python version of interpreter $1, empty when it does not run
    "$1" -c 'import sys; sys.stdout.write("%d.%d.%d" % tuple(sys.version_info[:3]))' 2>/dev/null
}
newer() {  # newer A B: version A > version B
    a1=${1%%.*} b1=${2%%.*}
    a=${1#*.} b=${2#*.}
    a2=${a%%.*} b2=${b%%.*}
    a3=${a#*.} b3=${b#*.}
    [ "$a1" -gt "$b1" ] || { [ "$a1" -eq "$b1" ] && { [ "$a2" -gt "$b2" ] || { [ "$a2" -eq "$b2" ] && [ "$a3" -gt "$b3" ]; }; }; }
}
add_python() {
    [ -f "$1" ] && [ -x "$1" ] || return 0
    case $seen in *" $1 "*) return 0 ;; esac
    seen="$seen$1 "
    version=$(version_of "$1")
    ok=0
    if supported "$version"; then
        ok=1
        if [ -z "$best" ] || newer "$version" "$best_version"; then best=$1 best_version=$version; fi
    fi
    pythons="$pythons${pythons:+,}{\"path\":$(str "$1"),\"version\":$(str "$version"),\"supported\":$(bool $ok)}"
}
is_python_name() {
    case ${1##*/} in python3 | python3.[0-9] | python3.[0-9][0-9] | platform-python) return 0 ;; esac
    return 1
}

# What interpreter discovery would pick: the first of the fallback list on PATH.
discovered=''
for name in $fallback; do
    found=$(command -v "$name" 2>/dev/null) || continue
    case $found in /*) ;; *) continue ;; esac
    [ -n "$discovered" ] || discovered=$found
    add_python "$found"
done

configured_path='' configured_found=0
case $configured in
    '' | auto | auto_silent | auto_legacy | auto_legacy_silent) ;;
    /*) configured_path=$configured ;;
    *) configured_path=$(command -v "$configured" 2>/dev/null) || configured_path=$configured ;;
esac
if [ -n "$configured_path" ]; then
    [ -x "$configured_path" ] && configured_found=1
    add_python "$configured_path"
fi

# Interpreters off PATH: the usual places, and pyenv's builds.
pyenv_root=''
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null)
elif [ -x "$HOME/.pyenv/bin/pyenv" ]; then
    pyenv_root=$("$HOME/.pyenv/bin/pyenv" root 2>/dev/null)
fi
[ -n "$pyenv_root" ] || pyenv_root=${PYENV_ROOT:-}
[ -n "$pyenv_root" ] || { [ -d "$HOME/.pyenv/versions" ] && pyenv_root=$HOME/.pyenv; }
for candidate in /usr/bin/python3* /usr/local/bin/python3* /opt/*/bin/python3* /opt/*/*/bin/python3* \
    /usr/libexec/platform-python ${pyenv_root:+"$pyenv_root"/versions/*/bin/python3*}; do
    is_python_name "$candidate" && add_python "$candidate"
done

if [ -n "$configured_path" ]; then would_use=$configured_path; else would_use=$discovered; fi
would_use_version=''
[ -n "$would_use" ] && [ -x "$would_use" ] && would_use_version=$(version_of "$would_use")
would_use_ok=0
supported "$would_use_version" && would_use_ok=1

package_manager=''
for pm in apt-get dnf microdnf yum zypper apk pacman; do
    if command -v "$pm" >/dev/null 2>&1; then package_manager=$pm; break; fi
done

# sudo: which one, whether it lists without a password, requiretty, and whether any rule allows every command.
sudo_present=0 sudo_flavour='' sudo_version='' sudo_list_ok=0 sudo_requiretty=0 sudo_all=0 doas_present=0
command -v doas >/dev/null 2>&1 && doas_present=1
if command -v sudo >/dev/null 2>&1; then
    sudo_present=1
    first=$(sudo -V 2>/dev/null | sed -n 1p)
    case $first in
        "Sudo version "*) sudo_flavour=sudo sudo_version=${first#Sudo version } ;;
        sudo-rs*) sudo_flavour=sudo-rs sudo_version=${first#sudo-rs } ;;
        *) sudo_flavour=unknown sudo_version=$first ;;
    esac
    listing=$(sudo -n -l 2>&1 </dev/null) && sudo_list_ok=1
    if printf '%s\n' "$listing" | grep -Eq '(^|[[:space:],])requiretty([[:space:],]|$)|must have a tty'; then
        sudo_requiretty=1
    fi
    printf '%s\n' "$listing" | grep -Eq '^[[:space:]]+\(.*\)[[:space:]].*ALL[[:space:]]*$' && sudo_all=1
fi

# Temporary directories: the mount each one lives on (longest mount point), and its options.
temps=''
for dir in $tmpdirs; do
    case $dir in \~ | \~/*) dir=$HOME${dir#\~} ;; esac
    exists=0
    [ -d "$dir" ] && exists=1
    probe=$dir
    while [ ! -d "$probe" ] && [ "$probe" != / ]; do probe=$(dirname "$probe"); done
    mount_point='' mount_options=''
    while read -r _ point _ options _; do
        point=$(printf '%s' "$point" | sed 's/\\040/ /g')
        case $probe/ in
            "${point%/}"/*)
                if [ ${#point} -ge ${#mount_point} ]; then mount_point=$point mount_options=$options; fi
                ;;
        esac
    done </proc/mounts 2>/dev/null
    noexec=0
    case ,$mount_options, in *,noexec,*) noexec=1 ;; esac
    temps="$temps${temps:+,}{\"path\":$(str "$dir"),\"exists\":$(bool $exists),\"mount\":$(str "$mount_point"),\"noexec\":$(bool $noexec)}"
done

# The locale su would prompt in, whether it is installed, and whether su's prompts are translated for it
# (the password prompt comes from PAM, the other messages from util-linux or shadow).
messages=${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}
language=${messages%%[_.@]*}
territory=${messages%%[.@]*}
locale_installed=0 su_translated=0
case $language in
    '' | C | POSIX | en) ;;
    *)
        wanted=$(printf '%s' "$messages" | tr '[:upper:]' '[:lower:]' | tr -d -)
        if locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -d - | grep -qxF "$wanted"; then
            locale_installed=1
            for domain in Linux-PAM util-linux shadow; do
                for dir in "$territory" "$language"; do
                    [ -f "/usr/share/locale/$dir/LC_MESSAGES/$domain.mo" ] && su_translated=1
                done
            done
        fi
        ;;
esac

echo NSM-PROBE-BEGIN
printf '{"user":%s,"home":%s,' "$(str "$(id -un 2>/dev/null)")" "$(str "$HOME")"
printf '"interpreters":[%s],"discovered":%s,"configured":%s,"configured_found":%s,' \
    "$pythons" "$(str "$discovered")" "$(str "$configured_path")" "$(bool $configured_found)"
printf '"would_use":%s,"would_use_version":%s,"would_use_supported":%s,"best":%s,"best_version":%s,' \
    "$(str "$would_use")" "$(str "$would_use_version")" "$(bool $would_use_ok)" "$(str "$best")" "$(str "$best_version")"
printf '"pyenv_root":%s,"package_manager":%s,' "$(str "$pyenv_root")" "$(str "$package_manager")"
printf '"sudo":{"present":%s,"flavour":%s,"version":%s,"lists_without_password":%s,"requiretty":%s,"allows_all_commands":%s},' \
    "$(bool $sudo_present)" "$(str "$sudo_flavour")" "$(str "$sudo_version")" "$(bool $sudo_list_ok)" \
    "$(bool $sudo_requiretty)" "$(bool $sudo_all)"
printf '"doas":%s,"temp_dirs":[%s],' "$(bool $doas_present)" "$temps"
printf '"locale":{"LANG":%s,"LC_ALL":%s,"LC_MESSAGES":%s,"messages":%s,"installed":%s,"su_translated":%s}}\n' \
    "$(str "${LANG:-}")" "$(str "${LC_ALL:-}")" "$(str "${LC_MESSAGES:-}")" "$(str "${messages:-C}")" \
    "$(bool $locale_installed)" "$(bool $su_translated)"
echo NSM-PROBE-END
