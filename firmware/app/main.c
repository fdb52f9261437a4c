#include "ee_app.h"
#include "ee_port.h"

int main(void)
{
    ee_port_init();
    return ee_app_run();
}
